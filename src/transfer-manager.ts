import { randomUUID } from 'node:crypto';
import { lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CopyOutcome } from '../workers/copy-protocol.js';
import { partPath } from '../workers/copy-protocol.js';
import type { CopierPool, CopyRun } from './copier-pool.js';
import { InvalidInput, NotFound, StateConflict } from './errors.js';
import { checkFileName } from './file-names.js';
import { Transfer, type Direction, type TransferState } from './transfer.js';

/** The three folders transfers move files between. */
export interface Folders {
  source: string;
  uploads: string;
  downloads: string;
}

export interface CopySettings {
  chunkBytes: number;
  maxRecordBytes: number;
  rateLimit: number;
  /** Whether copies compute their SHA-256 as they go. */
  checksum: boolean;
}

export interface ManagerOptions {
  folders: Folders;
  pool: CopierPool;
  logger: Logger;
  copy: CopySettings;
}

export interface TransferRequest {
  direction: Direction;
  file: string;
  delimiter?: string | undefined;
}

export const DELIMITERS = [',', ';', '\t', '|'];

// An upload copies the source folder into Uploads/; a download, Uploads/ into Downloads/.
const ROUTES: Record<Direction, { from: keyof Folders; to: keyof Folders }> = {
  upload: { from: 'source', to: 'uploads' },
  download: { from: 'uploads', to: 'downloads' },
};

const FOLDER_NAMES: Record<keyof Folders, string> = {
  source: 'the source folder',
  uploads: 'the uploads folder',
  downloads: 'the downloads folder',
};

/**
 * Owns every transfer and moves it through its states. Pause, resume and terminate
 * may arrive at any moment and in any number: each waits its turn on the transfer
 * and answers with the state the transfer really reached.
 */
export class TransferManager {
  private readonly transfers = new Map<string, Transfer>();
  private readonly runs = new Map<string, CopyRun>();
  private readonly settling = new Set<Promise<void>>();

  constructor(private readonly options: ManagerOptions) {}

  /** Creates a transfer and starts it, or queues it when every thread is busy. */
  async create(request: TransferRequest): Promise<Transfer> {
    const file = checkFileName(request.file);
    const delimiter = checkDelimiter(request.delimiter, file);
    const route = ROUTES[request.direction];
    const source = join(this.options.folders[route.from], file);
    const destination = join(this.options.folders[route.to], file);
    const size = await this.sourceSize(source, file, route.from);
    this.claimDestination(destination, file, route.to);

    const plan = { id: randomUUID(), direction: request.direction, file, delimiter };
    const transfer = new Transfer({ ...plan, source, destination });
    transfer.bytesTotal = size;
    this.transfers.set(transfer.id, transfer);
    this.logFor(transfer).info({ bytesTotal: size, delimiter }, 'transfer created');
    this.startRun(transfer);
    return transfer;
  }

  get(id: string): Transfer {
    const transfer = this.transfers.get(id);
    if (!transfer) throw new NotFound('TRANSFER_NOT_FOUND', `no transfer with id ${id}`);
    return transfer;
  }

  list(state?: TransferState): Transfer[] {
    const all = [...this.transfers.values()];
    return state ? all.filter((transfer) => transfer.state === state) : all;
  }

  /** The newest transfer in `direction` that is not finished, of `file` if given. */
  active(direction: Direction, file?: string): Transfer | null {
    for (const transfer of [...this.transfers.values()].reverse()) {
      if (transfer.plan.direction !== direction || !transfer.isActive) continue;
      if (file === undefined || transfer.plan.file === file) return transfer;
    }
    return null;
  }

  /** The transfer /status shows: the newest unfinished one, else the newest one. */
  current(direction: Direction): Transfer | null {
    const active = this.active(direction);
    if (active) return active;
    const all = [...this.transfers.values()].reverse();
    return all.find((transfer) => transfer.plan.direction === direction) ?? null;
  }

  /** Pauses at the next record boundary; a transfer already paused stays so. */
  pause(id: string): Promise<Transfer> {
    const transfer = this.get(id);
    return this.exclusive(transfer, async () => {
      if (transfer.state === 'paused') return transfer;
      this.refuseUnlessActive(transfer, 'paused');
      await this.stopRun(transfer, 'pause');
      // A pause that races completion reports the true final state.
      if (!transfer.is('paused')) throw finishedFirst(transfer, 'paused');
      return transfer;
    });
  }

  /** Resumes from the saved offset; a transfer already moving goes on as it is. */
  resume(id: string): Promise<Transfer> {
    const transfer = this.get(id);
    return this.exclusive(transfer, async () => {
      if (transfer.isMoving) return transfer;
      this.refuseUnlessActive(transfer, 'resumed');
      transfer.moveTo('queued');
      this.logFor(transfer).info({ offset: transfer.cursor.offset }, 'transfer resumed');
      this.startRun(transfer);
      return transfer;
    });
  }

  /** Stops the transfer for good and deletes its partial file. */
  terminate(id: string): Promise<Transfer> {
    const transfer = this.get(id);
    return this.exclusive(transfer, async () => {
      this.refuseUnlessActive(transfer, 'terminated');
      if (transfer.state === 'paused') {
        this.options.pool.forget(transfer.id);
        const { cursor, bytesTotal, source } = transfer;
        const outcome = {
          kind: 'terminated',
          cursor,
          bytesTotal,
          source,
          sha256: null,
        } as const;
        await this.settle(transfer, outcome);
      } else {
        await this.stopRun(transfer, 'terminate');
      }
      if (!transfer.is('terminated')) throw finishedFirst(transfer, 'terminated');
      return transfer;
    });
  }

  /** Pauses everything that moves and waits for each copy to stop. */
  async pauseAll(): Promise<void> {
    const moving = this.list().filter((transfer) => transfer.isMoving);
    await Promise.allSettled(moving.map((transfer) => this.pause(transfer.id)));
    await Promise.all(this.settling);
  }

  private startRun(transfer: Transfer): void {
    const { plan } = transfer;
    const job = {
      id: plan.id,
      source: plan.source,
      destination: plan.destination,
      cursor: transfer.cursor,
      expectedSource: transfer.source,
      delimiter: plan.delimiter,
      ...this.options.copy,
    };
    const firstRun = transfer.cursor.offset === 0 && transfer.source === null;
    const run = this.options.pool.submit(job, {
      started: () => {
        transfer.moveTo('running');
        if (firstRun) this.logFor(transfer).info('transfer started');
      },
      progress: (progress) => transfer.recordProgress(progress),
    });
    this.runs.set(plan.id, run);
    void run.outcome.then((outcome) => this.track(this.settle(transfer, outcome)));
  }

  private async stopRun(transfer: Transfer, request: 'pause' | 'terminate') {
    this.runs.get(transfer.id)?.stop(request);
    await transfer.untilSettled();
  }

  // Applies how a run ended. Terminated and failed copies lose their partial
  // file before the state changes, so nobody who sees the state finds it.
  private async settle(transfer: Transfer, outcome: CopyOutcome): Promise<void> {
    this.runs.delete(transfer.id);
    transfer.cursor = outcome.cursor;
    if (outcome.kind !== 'failed' && outcome.source) transfer.source = outcome.source;
    if (outcome.bytesTotal) transfer.bytesTotal = outcome.bytesTotal;
    const log = this.logFor(transfer);
    const where = { offset: outcome.cursor.offset, records: outcome.cursor.records };
    if (outcome.kind === 'completed') {
      transfer.sha256 = outcome.sha256;
      transfer.moveTo('completed');
      log.info({ ...where, ...rateOf(transfer) }, 'transfer completed');
    } else if (outcome.kind === 'paused') {
      transfer.moveTo('paused');
      log.info(where, 'transfer paused');
    } else {
      await rm(partPath(transfer.plan.destination), { force: true });
      if (outcome.kind === 'failed') {
        transfer.error = outcome.error;
        transfer.moveTo('failed');
        log.error({ ...where, err: transfer.error }, 'transfer failed');
      } else {
        transfer.moveTo('terminated');
        log.info(where, 'transfer terminated');
      }
    }
  }

  private track(settling: Promise<void>): void {
    this.settling.add(settling);
    void settling.finally(() => this.settling.delete(settling));
  }

  private exclusive<T>(transfer: Transfer, action: () => Promise<T>): Promise<T> {
    const next = transfer.lock.then(action, action);
    transfer.lock = next.catch(() => undefined);
    return next;
  }

  private refuseUnlessActive(transfer: Transfer, wanted: string): void {
    if (transfer.isActive) return;
    throw new StateConflict(
      'ILLEGAL_MOVE',
      `transfer ${transfer.id} is ${transfer.state}; only a queued, running or paused ` +
        `transfer can be ${wanted}`,
      transfer.view(),
    );
  }

  private async sourceSize(path: string, file: string, folder: keyof Folders) {
    const stats = await lstat(path).catch(() => null);
    if (!stats) {
      const code = folder === 'uploads' ? 'NOT_UPLOADED' : 'SOURCE_NOT_FOUND';
      throw new NotFound(code, `no file named ${file} in ${FOLDER_NAMES[folder]}`);
    }
    if (!stats.isFile()) {
      throw new InvalidInput(
        'NOT_A_FILE',
        `${file} in ${FOLDER_NAMES[folder]} must be a regular file, not a link or folder`,
      );
    }
    return stats.size;
  }

  // Two transfers may not write the same destination at once.
  private claimDestination(destination: string, file: string, folder: keyof Folders) {
    const holder = [...this.transfers.values()].find(
      (transfer) => transfer.isActive && transfer.plan.destination === destination,
    );
    if (!holder) return;
    throw new StateConflict(
      'DESTINATION_BUSY',
      `${file} in ${FOLDER_NAMES[folder]} is already being written by transfer ` +
        `${holder.id} (${holder.state})`,
    );
  }

  private logFor(transfer: Transfer): Logger {
    const { id, direction, file } = transfer.plan;
    return this.options.logger.child({ transfer: id, direction, file });
  }
}

function checkDelimiter(delimiter: string | undefined, file: string): string {
  if (delimiter === undefined) return file.toLowerCase().endsWith('.tsv') ? '\t' : ',';
  if (DELIMITERS.includes(delimiter)) return delimiter;
  throw new InvalidInput(
    'INVALID_DELIMITER',
    `delimiter must be one of ${DELIMITERS.map((d) => JSON.stringify(d)).join(', ')}, ` +
      `got ${JSON.stringify(delimiter)}`,
  );
}

function finishedFirst(transfer: Transfer, wanted: string): StateConflict {
  const detail = transfer.error ? `: ${transfer.error.message}` : '';
  return new StateConflict(
    'ALREADY_FINISHED',
    `transfer ${transfer.id} was ${transfer.state} before it could be ${wanted}${detail}`,
    transfer.view(),
  );
}

function rateOf(transfer: Transfer) {
  const seconds = transfer.activeSeconds;
  const mbPerSecond = seconds > 0 ? transfer.cursor.offset / 1e6 / seconds : 0;
  return {
    seconds: Number(seconds.toFixed(3)),
    mbPerSecond: Number(mbPerSecond.toFixed(1)),
  };
}
