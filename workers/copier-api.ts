import * as Comlink from 'comlink';
import type { CopierApi, CopyJob, Cursor, Progress, StopRequest } from './copy-protocol.js';
import { copyRecords, type CopyControl } from './copy-records.js';

// Progress crosses to the main thread at most this often, whatever the chunk rate.
const PROGRESS_INTERVAL_MS = 200;

/** The stop flag and the progress batching of one copy running in this thread. */
class RunningCopy implements CopyControl {
  readonly stopping: Promise<void>;
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

/** The copier API served to the main thread: one entry per running copy. */
export const copierApi: CopierApi = {
  async copy(job: CopyJob, onProgress: (progress: Progress) => void) {
    const copy = new RunningCopy(onProgress);
    running.set(job.id, copy);
    try {
      return await copyRecords(job, copy);
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
};

function releaseCallback(callback: unknown): void {
  const remote = callback as Partial<Comlink.Remote<unknown>>;
  remote[Comlink.releaseProxy]?.();
}
