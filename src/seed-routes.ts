import Router from '@koa/router';
import type { Context } from 'koa';
import { ServiceError, StateConflict } from './errors.js';
import { checkFileName } from './file-names.js';
import { prefersAsync, prefersJson } from './http-replies.js';
import type { Transfer, Direction } from './transfer.js';
import type { TransferManager } from './transfer-manager.js';

/** The file the seed's routes copy when a request names none. */
export const DEFAULT_FILE = 'dummy1.csv';

// The seed's reply texts, word for word.
const WORDS: Record<Direction, { verb: string; startFirst: string; busy: string }> = {
  upload: {
    verb: 'Uploading',
    startFirst: 'Please Start Uploading First',
    busy: 'Upload Already In Progress',
  },
  download: {
    verb: 'Downloading',
    startFirst: 'Please Start Downloading First',
    busy: 'Download Already In Progress',
  },
};

// A transfer that failed answers with the status its cause deserves.
const FAILURE_STATUS: Record<string, number> = {
  UNCLOSED_QUOTE: 422,
  RECORD_TOO_LONG: 422,
  SOURCE_CHANGED: 409,
  SOURCE_NOT_FOUND: 404,
};

/** The seed's routes: a thin layer of fixed replies over the transfer manager. */
export function seedRoutes(manager: TransferManager): Router {
  const router = new Router();
  const routes = new SeedRoutes(manager);
  router.post('/upload', (ctx) => routes.start(ctx, 'upload'));
  router.post('/pause', (ctx) => routes.pause(ctx, 'upload'));
  router.post('/resume', (ctx) => routes.resume(ctx, 'upload'));
  router.post('/terminate', (ctx) => routes.terminate(ctx, ['upload', 'download']));
  router.post('/download', (ctx) => routes.start(ctx, 'download'));
  router.post('/downloadPause', (ctx) => routes.pause(ctx, 'download'));
  router.post('/downloadResume', (ctx) => routes.resume(ctx, 'download'));
  router.post('/downloadTerminate', (ctx) => routes.terminate(ctx, ['download']));
  router.get('/status', (ctx) => {
    const view = (direction: Direction) => manager.current(direction)?.view() ?? null;
    ctx.body = { upload: view('upload'), download: view('download') };
  });
  return router;
}

class SeedRoutes {
  constructor(private readonly manager: TransferManager) {}

  /** Starts a copy and, unless the client prefers not to, waits for it to settle. */
  async start(ctx: Context, direction: Direction): Promise<void> {
    const words = WORDS[direction];
    const request = {
      direction,
      file: fileOf(ctx) ?? DEFAULT_FILE,
      delimiter: delimiterOf(ctx),
    };
    let transfer: Transfer;
    try {
      transfer = await this.manager.create(request);
    } catch (error) {
      if (isCode(error, 'DESTINATION_BUSY')) {
        return reply(ctx, 409, words.busy, this.manager.active(direction, request.file));
      }
      if (isCode(error, 'NOT_UPLOADED'))
        return reply(ctx, 404, 'Please Upload File First');
      throw error;
    }
    if (prefersAsync(ctx)) return replyStarted(ctx, transfer, `${words.verb} Started`);
    await this.waitAndReply(ctx, transfer);
  }

  async pause(ctx: Context, direction: Direction): Promise<void> {
    const { verb, startFirst } = WORDS[direction];
    const transfer = this.manager.active(direction, fileOf(ctx));
    if (!transfer) return reply(ctx, 409, startFirst);
    // A pause that races completion either pauses or finds nothing left to pause.
    if (!(await this.attempt(() => this.manager.pause(transfer.id)))) {
      return reply(ctx, 409, startFirst, transfer);
    }
    reply(ctx, 200, `${verb} Paused`, transfer);
  }

  async resume(ctx: Context, direction: Direction): Promise<void> {
    const { verb, startFirst } = WORDS[direction];
    const transfer = this.manager.active(direction, fileOf(ctx));
    if (!transfer) return reply(ctx, 409, startFirst);
    if (!(await this.attempt(() => this.manager.resume(transfer.id)))) {
      return reply(ctx, 409, startFirst, transfer);
    }
    if (prefersAsync(ctx)) return replyStarted(ctx, transfer, `${verb} Resumed`);
    await this.waitAndReply(ctx, transfer);
  }

  /** Terminates the first direction, in order, that has a transfer to stop. */
  async terminate(ctx: Context, directions: Direction[]): Promise<void> {
    const file = fileOf(ctx);
    for (const direction of directions) {
      const transfer = this.manager.active(direction, file);
      if (!transfer) continue;
      if (await this.attempt(() => this.manager.terminate(transfer.id))) {
        return reply(ctx, 200, 'File Terminated', transfer);
      }
    }
    reply(ctx, 409, WORDS[directions[0] ?? 'upload'].startFirst);
  }

  /** Runs a move; false when the transfer had already left the states it applies to. */
  private async attempt(move: () => Promise<Transfer>): Promise<boolean> {
    try {
      await move();
      return true;
    } catch (error) {
      if (error instanceof StateConflict) return false;
      throw error;
    }
  }

  private async waitAndReply(ctx: Context, transfer: Transfer): Promise<void> {
    // A client that disconnects while waiting does not stop the transfer.
    await transfer.untilSettled();
    const verb = WORDS[transfer.plan.direction].verb;
    switch (transfer.state) {
      case 'completed':
        return reply(ctx, 200, `${verb} Completed`, transfer);
      case 'paused':
        return reply(ctx, 202, `${verb} Paused`, transfer);
      case 'terminated':
        return reply(ctx, 409, `${verb} Terminated`, transfer);
      default: {
        const error = transfer.error;
        const status = FAILURE_STATUS[error?.code ?? ''] ?? 500;
        return reply(
          ctx,
          status,
          `${verb} Failed: ${error?.message ?? 'unknown error'}`,
          transfer,
        );
      }
    }
  }
}

function reply(
  ctx: Context,
  status: number,
  message: string,
  transfer?: Transfer | null,
) {
  ctx.status = status;
  if (prefersJson(ctx)) ctx.body = { message, transfer: transfer?.view() ?? null };
  else ctx.body = message;
}

function replyStarted(ctx: Context, transfer: Transfer, message: string): void {
  ctx.set('Location', `/api/transfers/${transfer.id}`);
  reply(ctx, 202, message, transfer);
}

/** The optional file name, from `?file=` or a JSON body's `file`. */
function fileOf(ctx: Context): string | undefined {
  const name = ctx.query.file ?? bodyField(ctx, 'file');
  return name === undefined ? undefined : checkFileName(name);
}

function delimiterOf(ctx: Context): string | undefined {
  const delimiter = ctx.query.delimiter ?? bodyField(ctx, 'delimiter');
  return typeof delimiter === 'string' || delimiter === undefined
    ? delimiter
    : String(delimiter);
}

function bodyField(ctx: Context, field: string): unknown {
  const body = (ctx.request as { body?: unknown }).body;
  if (!body || typeof body !== 'object') return undefined;
  return (body as Record<string, unknown>)[field];
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof ServiceError && error.code === code;
}
