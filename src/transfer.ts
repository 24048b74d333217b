import type {
  CopyError,
  Cursor,
  Progress,
  SourceIdentity,
} from '../workers/copy-protocol.js';

export type Direction = 'upload' | 'download';

export type TransferState =
  'queued' | 'running' | 'paused' | 'completed' | 'terminated' | 'failed';

/** A transfer as clients see it, in /status and the API. */
export interface TransferView {
  id: string;
  direction: Direction;
  file: string;
  state: TransferState;
  bytesDone: number;
  bytesTotal: number;
  records: number;
  bytesPerSecond: number;
  createdAt: string;
  updatedAt: string;
  error: CopyError | null;
  /** Hex SHA-256 of the copy, computed while writing it; null until completed. */
  sha256: string | null;
}

// queued → running ⇄ paused → completed | terminated | failed; a resumed transfer
// waits in the queue again until a copier thread has room for it.
const MOVES: Record<TransferState, readonly TransferState[]> = {
  queued: ['running', 'paused', 'terminated', 'failed'],
  running: ['paused', 'completed', 'terminated', 'failed'],
  paused: ['queued', 'terminated', 'failed'],
  completed: [],
  terminated: [],
  failed: [],
};

/** What a new transfer copies, from where to where. */
export interface TransferPlan {
  id: string;
  direction: Direction;
  file: string;
  delimiter: string;
  source: string;
  destination: string;
}

/** One copy of one file, with its state and cursor. */
export class Transfer {
  state: TransferState = 'queued';
  cursor: Cursor = { offset: 0, records: 0 };
  bytesTotal = 0;
  error: CopyError | null = null;
  sha256: string | null = null;
  /** The source as the last run found it; a resume must find it unchanged. */
  source: SourceIdentity | null = null;
  /** Serialises pause, resume and terminate on this transfer. */
  lock: Promise<unknown> = Promise.resolve();

  readonly createdAt = new Date();
  private updatedAt = this.createdAt;
  // Time spent running, for the rate; the current stretch counts from runningSince.
  private activeMs = 0;
  private runningSince = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly plan: TransferPlan) {}

  get id(): string {
    return this.plan.id;
  }

  /** Queued or running: a copy is under way or about to be. */
  get isMoving(): boolean {
    return this.state === 'queued' || this.state === 'running';
  }

  /** Not yet in a final state: it holds its destination. */
  get isActive(): boolean {
    return this.isMoving || this.state === 'paused';
  }

  /** Whether the transfer is in `state` now; reads fresh after an await. */
  is(state: TransferState): boolean {
    return this.state === state;
  }

  /** Changes state; a move the state machine does not allow is a bug, so it throws. */
  moveTo(next: TransferState): void {
    if (!MOVES[this.state].includes(next)) {
      throw new Error(`transfer ${this.id} cannot move from ${this.state} to ${next}`);
    }
    const now = Date.now();
    if (this.state === 'running') this.activeMs += now - this.runningSince;
    if (next === 'running') this.runningSince = now;
    this.state = next;
    this.touch();
    if (!this.isMoving) this.wakeWaiters();
  }

  recordProgress(progress: Progress): void {
    // Progress travels on its own channel and can arrive after the run has ended.
    if (this.state !== 'running' || progress.offset < this.cursor.offset) return;
    this.cursor = { offset: progress.offset, records: progress.records };
    this.bytesTotal = progress.bytesTotal;
    this.touch();
  }

  /** Settles once the transfer is neither queued nor running. */
  untilSettled(): Promise<void> {
    if (!this.isMoving) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Seconds spent running so far. */
  get activeSeconds(): number {
    const current = this.state === 'running' ? Date.now() - this.runningSince : 0;
    return (this.activeMs + current) / 1000;
  }

  view(): TransferView {
    const seconds = this.activeSeconds;
    return {
      id: this.id,
      direction: this.plan.direction,
      file: this.plan.file,
      state: this.state,
      bytesDone: this.cursor.offset,
      bytesTotal: this.bytesTotal,
      records: this.cursor.records,
      bytesPerSecond: seconds > 0 ? Math.round(this.cursor.offset / seconds) : 0,
      createdAt: this.createdAt.toISOString(),
      updatedAt: this.updatedAt.toISOString(),
      error: this.error,
      sha256: this.sha256,
    };
  }

  private touch(): void {
    this.updatedAt = new Date();
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
