import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import * as Comlink from 'comlink';
import type {
  CopierApi,
  CopyJob,
  CopyOutcome,
  Cursor,
  Progress,
  StopRequest,
} from './copy-protocol.js';
import { partPath } from './copy-protocol.js';
import {
  copyRecords,
  failedOutcome,
  readPrefix,
  type CopyControl,
} from './copy-records.js';

// Progress crosses to the main thread at most this often, whatever the chunk rate.
const PROGRESS_INTERVAL_MS = 200;

/** The stop flag and the progress batching of one copy running in this thread. */
class RunningCopy implements CopyControl {
  readonly stopping: Promise<void>;
  checksum: Hash | null = null;
  private request: StopRequest | null = null;
  private wake: () => void = () => {};
  private lastSent = 0;

  constructor(private readonly report: (progress: Progress) => unknown) {
    this.stopping = new Promise((resolve) => (this.wake = resolve));
  }

  stop(request: StopRequest): void {
    // A terminate overrides a pause asked for earlier; never the other way round.
    if (this.request !== 'terminate') this.request = request;
    this.wake();
  }

  stopRequested(): StopRequest | null {
    return this.request;
  }

  progress(cursor: Cursor, bytesTotal: number) {
    const now = Date.now();
    if (now - this.lastSent < PROGRESS_INTERVAL_MS) return;
    this.lastSent = now;
    // The main thread may be gone while shutting down; progress is best effort.
    Promise.resolve(this.report({ ...cursor, bytesTotal })).catch(() => {});
  }
}

const running = new Map<string, RunningCopy>();

// The SHA-256 state of copies paused in this thread. Node cannot export a hash's
// state, so it stays here, and the pool sends the resume back to this thread.
const pausedChecksums = new Map<string, Hash>();

/** The copier API served to the main thread: one entry per running copy. */
export const copierApi: CopierApi = {
  async copy(job: CopyJob, onProgress: (progress: Progress) => void) {
    const copy = new RunningCopy(onProgress);
    // Registered before the first await, so a stop sent right after always finds it.
    running.set(job.id, copy);
    try {
      return await runCopy(job, copy);
    } finally {
      running.delete(job.id);
      releaseCallback(onProgress);
    }
  },

  stop(id: string, request: StopRequest) {
    const copy = running.get(id);
    copy?.stop(request);
    return copy !== undefined;
  },

  forget(id: string) {
    pausedChecksums.delete(id);
  },
};

async function runCopy(job: CopyJob, copy: RunningCopy): Promise<CopyOutcome> {
  try {
    copy.checksum = job.checksum ? await checksumFor(job) : null;
  } catch (error) {
    return failedOutcome(job, error);
  }
  return sealChecksum(job, await copyRecords(job, copy), copy.checksum);
}

async function checksumFor(job: CopyJob): Promise<Hash> {
  const kept = pausedChecksums.get(job.id);
  pausedChecksums.delete(job.id);
  if (job.cursor.offset === 0) return createHash('sha256');
  return kept ?? hashPrefix(partPath(job.destination), job.cursor.offset);
}

// Only when the thread that held the state is gone: the bytes already copied are
// read back once from the partial file, then hashing goes on as before.
async function hashPrefix(path: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    await readPrefix(file, length, (bytes) => hash.update(bytes));
  } finally {
    await file.close();
  }
  return hash;
}

function sealChecksum(job: CopyJob, outcome: CopyOutcome, checksum: Hash | null) {
  if (!checksum || outcome.kind === 'failed' || outcome.kind === 'terminated') {
    return outcome;
  }
  if (outcome.kind === 'paused') {
    pausedChecksums.set(job.id, checksum);
    return outcome;
  }
  return { ...outcome, sha256: checksum.digest('hex') };
}

function releaseCallback(callback: unknown): void {
  const remote = callback as Partial<Comlink.Remote<unknown>>;
  remote[Comlink.releaseProxy]?.();
}
