// Runs copyRecords in the test's own thread, with a control that pauses or
// terminates after a given number of chunks, and the temp folders tests use.

import type { ExecutionContext } from 'ava';
import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  CopyJob,
  CopyOutcome,
  Cursor,
  StopRequest,
} from '../../workers/copy-protocol.js';
import {
  copyRecords,
  type Checksum,
  type CopyControl,
} from '../../workers/copy-records.js';

/** Makes a temp folder for one test and removes it when the test ends. */
export async function tempFolder(t: ExecutionContext): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'copier-test-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  return folder;
}

export async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** A job copying `source` to `destination` from the start, as fast as possible. */
export function copyJob(
  source: string,
  destination: string,
  options: Partial<CopyJob> = {},
): CopyJob {
  return {
    id: path.basename(destination),
    source,
    destination,
    cursor: { offset: 0, records: 0 },
    expectedSource: null,
    delimiter: ',',
    chunkBytes: 65536,
    maxRecordBytes: 1 << 20,
    rateLimit: 0,
    checksum: false,
    ...options,
  };
}

/** Asks for a stop once `stopAfter` chunks are written, or when `stop` is called. */
export class ChunkControl implements CopyControl {
  readonly stopping: Promise<void>;
  /** The cursor reported after each chunk written. */
  readonly cursors: Cursor[] = [];
  private request: StopRequest | null = null;
  private wake: () => void = () => {};

  constructor(
    private readonly stopAfter = Infinity,
    private readonly kind: StopRequest = 'pause',
    readonly checksum: Checksum | null = null,
  ) {
    this.stopping = new Promise((resolve) => (this.wake = resolve));
  }

  stop(request: StopRequest): void {
    this.request = request;
    this.wake();
  }

  stopRequested(): StopRequest | null {
    return this.request;
  }

  progress(cursor: Cursor): void {
    this.cursors.push({ ...cursor });
    if (this.cursors.length >= this.stopAfter) this.stop(this.kind);
  }
}

/** Copies the whole source in one run, never asking for a stop. */
export function copyOnce(job: CopyJob): Promise<CopyOutcome> {
  return copyRecords(job, new ChunkControl());
}

/**
 * Copies with a pause after `pauseAfter[run]` chunks of each run, resuming from
 * the returned cursor until the copy ends; `onPause` inspects every pause.
 */
export async function copyWithPauses(
  job: CopyJob,
  pauseAfter: readonly number[],
  onPause: (outcome: CopyOutcome, control: ChunkControl) => Promise<void>,
  checksum: Checksum | null = null,
): Promise<CopyOutcome> {
  let next = job;
  for (let run = 0; ; run += 1) {
    const control = new ChunkControl(pauseAfter[run], 'pause', checksum);
    const outcome = await copyRecords(next, control);
    if (outcome.kind !== 'paused') return outcome;
    await onPause(outcome, control);
    next = { ...next, cursor: outcome.cursor, expectedSource: outcome.source };
  }
}
