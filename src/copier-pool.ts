import { Worker } from 'node:worker_threads';
import type { Remote } from 'comlink';
import type { Logger } from 'pino';
import type {
  CopierApi,
  CopyJob,
  CopyOutcome,
  Progress,
  StopRequest,
} from '../workers/copy-protocol.js';
import { byReference, wrapWorker } from '../workers/comlink-port.js';

const COPIER_URL = new URL('../workers/copier-thread.js', import.meta.url);

export interface PoolOptions {
  /** Threads at most; each runs up to `copiesPerThread` copies, interleaved. */
  threads: number;
  copiesPerThread: number;
  logger: Logger;
  /** The copier script; tests swap in one that misbehaves. */
  copierUrl?: URL;
}

/** What the pool tells the owner of a copy as it goes. */
export interface RunListener {
  started(): void;
  progress(progress: Progress): void;
}

/** A copy handed to the pool: queued until a thread has room, then running. */
export interface CopyRun {
  /** Settles once, with how the copy ended; it never rejects. */
  readonly outcome: Promise<CopyOutcome>;
  /** True while the copy waits for room in a thread. */
  readonly queued: boolean;
  stop(request: StopRequest): void;
}

/** One worker thread and the copies it is running. */
class CopierThread {
  readonly api: Remote<CopierApi>;
  readonly copies = new Set<PooledRun>();
  /** Settles with the reason when the thread exits, for whatever cause. */
  readonly exited: Promise<string>;
  alive = true;

  constructor(readonly worker: Worker) {
    this.api = wrapWorker<CopierApi>(worker);
    this.exited = new Promise((resolve) => {
      let failure = '';
      worker.once('error', (error) => (failure = error.message));
      worker.once('exit', (code) => {
        this.alive = false;
        resolve(failure || `it exited with code ${code}`);
      });
    });
  }
}

class PooledRun implements CopyRun {
  readonly outcome: Promise<CopyOutcome>;
  queued = true;
  thread: CopierThread | null = null;
  private settle: (outcome: CopyOutcome) => void = () => {};

  constructor(
    readonly job: CopyJob,
    readonly listener: RunListener,
    private readonly pool: CopierPool,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
  }

  stop(request: StopRequest): void {
    if (this.thread) {
      // The outcome arrives through copy(); a thread that died settles it anyway.
      this.thread.api.stop(this.job.id, request).catch(() => false);
    } else if (this.queued) {
      this.pool.dequeue(this);
      this.finish(stoppedBeforeStart(this.job, request));
    }
  }

  finish(outcome: CopyOutcome): void {
    this.queued = false;
    this.settle(outcome);
  }
}

/**
 * A bounded set of copier threads. Any number of copies may be submitted; those
 * beyond the threads' room wait in order. A thread that dies fails the copies it
 * was running with a clear error and is replaced by the next copy that needs one.
 */
export class CopierPool {
  private readonly threads = new Set<CopierThread>();
  private readonly waiting: PooledRun[] = [];
  // The thread that keeps each paused copy's checksum state: its resume goes there.
  private readonly homes = new Map<string, CopierThread>();
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  submit(job: CopyJob, listener: RunListener): CopyRun {
    const run = new PooledRun(job, listener, this);
    if (this.closed) {
      run.finish(stoppedBeforeStart(job, 'pause'));
      return run;
    }
    this.waiting.push(run);
    this.schedule();
    return run;
  }

  /** How many threads are alive now, never more than the configured number. */
  get threadCount(): number {
    return this.threads.size;
  }

  dequeue(run: PooledRun): void {
    const index = this.waiting.indexOf(run);
    if (index !== -1) this.waiting.splice(index, 1);
  }

  /** Tells the thread that kept a paused copy's state that it will not resume. */
  forget(id: string): void {
    const home = this.homes.get(id);
    this.homes.delete(id);
    if (home?.alive) home.api.forget(id).catch(() => undefined);
  }

  /** Stops every thread. Copies still waiting settle as paused where they stand. */
  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.waiting.splice(0))
      run.finish(stoppedBeforeStart(run.job, 'pause'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
    this.threads.clear();
  }

  // Starts waiting runs in order; a run whose home thread is full keeps waiting
  // without holding back the runs behind it.
  private schedule(): void {
    for (let index = 0; index < this.waiting.length && !this.closed;) {
      const run = this.waiting[index]!;
      const thread = this.threadFor(run);
      if (!thread) {
        index += 1;
        continue;
      }
      this.waiting.splice(index, 1);
      this.start(run, thread);
    }
  }

  private threadFor(run: PooledRun): CopierThread | null {
    const home = this.homes.get(run.job.id);
    if (home?.alive) {
      return home.copies.size < this.options.copiesPerThread ? home : null;
    }
    if (home) {
      this.homes.delete(run.job.id);
      this.options.logger.warn(
        { transfer: run.job.id },
        'the thread keeping this checksum died; it is rebuilt from the partial file',
      );
    }
    return this.threadWithRoom();
  }

  private threadWithRoom(): CopierThread | null {
    let best: CopierThread | null = null;
    for (const thread of this.threads) {
      if (thread.copies.size >= this.options.copiesPerThread) continue;
      if (!best || thread.copies.size < best.copies.size) best = thread;
    }
    if (best && best.copies.size === 0) return best;
    if (this.threads.size < this.options.threads) return this.spawn();
    return best;
  }

  private spawn(): CopierThread {
    const worker = new Worker(this.options.copierUrl ?? COPIER_URL);
    const thread = new CopierThread(worker);
    this.threads.add(thread);
    void thread.exited.then((reason) => this.onExit(thread, reason));
    return thread;
  }

  private start(run: PooledRun, thread: CopierThread): void {
    run.queued = false;
    run.thread = thread;
    thread.copies.add(run);
    run.listener.started();
    const progress = byReference((p: Progress) => run.listener.progress(p));
    const died = thread.exited.then((reason) => threadDied(run.job, reason));
    void Promise.race([thread.api.copy(run.job, progress), died])
      .catch((error: unknown) => copierFailed(run.job, error))
      .then((outcome) => {
        thread.copies.delete(run);
        if (outcome.kind === 'paused' && run.job.checksum)
          this.homes.set(run.job.id, thread);
        else this.homes.delete(run.job.id);
        run.finish(outcome);
        this.schedule();
      });
  }

  private onExit(thread: CopierThread, reason: string): void {
    this.threads.delete(thread);
    if (this.closed) return;
    this.options.logger.error(
      { reason, copies: thread.copies.size },
      'copier thread died',
    );
    this.schedule();
  }
}

function stoppedBeforeStart(job: CopyJob, request: StopRequest): CopyOutcome {
  const kind = request === 'pause' ? 'paused' : 'terminated';
  return {
    kind,
    cursor: job.cursor,
    bytesTotal: 0,
    source: job.expectedSource,
    sha256: null,
  };
}

function copierFailed(job: CopyJob, error: unknown): CopyOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return failedRun(job, 'COPIER_ERROR', `the copier failed unexpectedly: ${message}`);
}

function threadDied(job: CopyJob, reason: string): CopyOutcome {
  const message = `the copier thread stopped while copying (${reason}); the transfer cannot go on`;
  return failedRun(job, 'COPIER_DIED', message);
}

// A run that failed outside the copy loop: its cursor is where the run began.
function failedRun(job: CopyJob, code: string, message: string): CopyOutcome {
  return { kind: 'failed', cursor: job.cursor, bytesTotal: 0, error: { code, message } };
}
