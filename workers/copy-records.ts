import { constants } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import type {
  CopyError,
  CopyJob,
  CopyOutcome,
  Cursor,
  SourceIdentity,
  StopRequest,
} from './copy-protocol.js';
import { partPath } from './copy-protocol.js';
import { RecordScanner, type RecordScan } from './record-scanner.js';
import {
  giveBackModuleBuffer,
  MODULE_BUFFER_BYTES,
  moduleBufferCount,
  SimdRecordScanner,
  takeModuleBuffer,
} from './simd-record-scanner.js';

/** Takes the bytes of a copy in order, as they are written. */
export interface Checksum {
  update(bytes: Uint8Array): unknown;
}

/** How a running copy is told to stop, and how it reports progress. */
export interface CopyControl {
  /** Fed every byte written, in order; null when the checksum is off. */
  readonly checksum: Checksum | null;
  /** The stop asked for so far, checked after every chunk written. */
  stopRequested(): StopRequest | null;
  /** Settles as soon as a stop is asked for, to cut a rate-limit wait short. */
  readonly stopping: Promise<void>;
  progress(cursor: Cursor, bytesTotal: number): void;
}

/** A failure with a stable code, turned into a `failed` outcome at the edge. */
export class CopyFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const READ_SOURCE = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_PART = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
const REOPEN_PART = constants.O_WRONLY | constants.O_NOFOLLOW;

/**
 * Copies `job.source` from `job.cursor` to the destination's `.part` file, whole
 * records at a time, and renames it to the destination once the source is done.
 */
export async function copyRecords(
  job: CopyJob,
  control: CopyControl,
): Promise<CopyOutcome> {
  let loop: CopyLoop | null = null;
  let bytesTotal = 0;
  try {
    const source = await openSource(job.source);
    let part: FileHandle | null = null;
    let stop: StopRequest | null;
    let identity: SourceIdentity;
    try {
      identity = await identify(source);
      bytesTotal = identity.size;
      checkUnchanged(job, identity);
      part = await openPart(partPath(job.destination), job.cursor.offset);
      loop = new CopyLoop(job, control, source, part, bytesTotal);
      stop = await loop.run();
    } finally {
      await closeBoth(part, source);
    }
    const ended = { cursor: loop.cursor, bytesTotal, source: identity, sha256: null };
    if (stop) return { kind: stop === 'pause' ? 'paused' : 'terminated', ...ended };
    await rename(partPath(job.destination), job.destination);
    return { kind: 'completed', ...ended };
  } catch (error) {
    return failedOutcome(job, error, loop?.cursor ?? job.cursor, bytesTotal);
  }
}

/** The outcome of a copy that failed at `cursor`, with a stable code for the error. */
export function failedOutcome(
  job: CopyJob,
  error: unknown,
  cursor = job.cursor,
  bytesTotal = 0,
): CopyOutcome {
  return { kind: 'failed', cursor, bytesTotal, error: describeFailure(error, job) };
}

// Both closes at once, since a pause is answered only once they are done; a
// failed close (data that did not reach the file) fails the copy.
async function closeBoth(part: FileHandle | null, source: FileHandle): Promise<void> {
  const closed = await Promise.allSettled([part?.close(), source.close()]);
  const failed = closed.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

async function openSource(path: string): Promise<FileHandle> {
  return open(path, READ_SOURCE);
}

async function identify(file: FileHandle): Promise<SourceIdentity> {
  const stats = await file.stat();
  if (!stats.isFile())
    throw new CopyFailure('NOT_A_FILE', 'the source is not a regular file');
  return { size: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino };
}

// Resuming seeks to a saved offset, which is only meaningful in the same bytes.
function checkUnchanged(job: CopyJob, now: SourceIdentity): void {
  const then = job.expectedSource;
  if (!then) return;
  if (
    then.size === now.size &&
    then.mtimeMs === now.mtimeMs &&
    then.inode === now.inode
  ) {
    return;
  }
  throw new CopyFailure(
    'SOURCE_CHANGED',
    `the source changed while the transfer was paused (${then.size} bytes then, ` +
      `${now.size} now), so it cannot resume from byte ${job.cursor.offset}`,
  );
}

// A fresh copy starts an empty `.part`; a resumed one cuts what follows the cursor,
// which can only be bytes of a record whose write did not finish.
async function openPart(path: string, offset: number): Promise<FileHandle> {
  if (offset === 0) {
    // A new file, not a truncated one: ext4 flushes a truncated file on close,
    // which would make every pause and completion wait for the disk.
    await rm(path, { force: true });
    return open(path, CREATE_PART | constants.O_NOFOLLOW, 0o644);
  }
  const part = await open(path, REOPEN_PART).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    throw new CopyFailure(
      'PART_MISSING',
      `the partial file is gone, so the copy cannot resume from byte ${offset}`,
    );
  });
  const { size } = await part.stat();
  if (size < offset) {
    await part.close();
    throw new CopyFailure(
      'PART_TRUNCATED',
      `the partial file holds ${size} bytes but the cursor is at byte ${offset}`,
    );
  }
  if (size > offset) await part.truncate(offset);
  return part;
}

/** Whole records found at the start of a chunk: `bytes[start..boundary)`. */
interface Records {
  bytes: Buffer;
  start: number;
  boundary: number;
  records: number;
}

// Three buffers turn in a ring: while one chunk is scanned and hashed, the one
// before it is being written and the one after it is being read.
const RING = 3;

// The next chunk is read before this one is scanned, straight on from this one's
// end, so reads stay sequential (re-reading backwards defeats the kernel's
// read-ahead). The unfinished record at this one's end is then copied into the
// room kept before the next one's bytes, if it fits there.
const CARRY_BYTES = 64 * 1024;

/** The chunk loop: reading, scanning and hashing, and writing overlap. */
class CopyLoop {
  /** Where the copy stands: everything before it is written. */
  cursor: Cursor;
  // The source offset of the chunk being scanned: the end of the records scanned.
  private scanned: number;
  private readonly ring: Buffer[];
  // Room at the front of each buffer for the record carried over from the last.
  private readonly carry: number;
  private readonly started = Date.now();
  private readonly startOffset: number;
  private readonly delimiter: number;

  constructor(
    private readonly job: CopyJob,
    private readonly control: CopyControl,
    private readonly source: FileHandle,
    private readonly part: FileHandle,
    private readonly bytesTotal: number,
  ) {
    this.cursor = job.cursor;
    this.scanned = job.cursor.offset;
    this.startOffset = job.cursor.offset;
    // A chunk no larger than the record bound means every record that ends inside
    // one is within the bound; longer ones all pass through readLongRecord.
    const { ring, chunkBytes } = takeRing(Math.min(job.chunkBytes, job.maxRecordBytes));
    this.ring = ring;
    this.carry = carryFor(chunkBytes);
    this.delimiter = job.delimiter.charCodeAt(0);
  }

  /** Copies until the end of the source or a stop; returns the stop, if any. */
  async run(): Promise<StopRequest | null> {
    const head = this.carry;
    let reading = observed(this.readChunk(this.ring[0]!, this.scanned));
    let skip = head;
    let writing: Promise<Cursor> | null = null;
    let stop: StopRequest | null = null;
    try {
      for (let turn = 0; ; turn += 1) {
        const buffer = this.ring[turn % RING]!;
        const next = this.ring[(turn + 1) % RING]!;
        const end = await reading;
        // A stop asked for while this chunk was read leaves it unwritten and
        // reads no more, so the copy stops as soon as the last write lands.
        stop = this.control.stopRequested();
        if (stop || end <= skip) break;
        const readEnd = this.scanned + (end - skip);
        reading = observed(this.readChunk(next, readEnd));

        const chunk = await this.wholeRecords(buffer, skip, end);
        const at = this.scanned;
        this.scanned += chunk.boundary - chunk.start;
        const unfinished = readEnd - this.scanned;
        if (chunk.bytes === buffer && unfinished <= head) {
          buffer.copy(next, head - unfinished, chunk.boundary, end);
          skip = head - unfinished;
        } else {
          // A record longer than the room, or one read on past this chunk: read
          // the next chunk again from where that record starts.
          const exact = this.scanned;
          reading = observed(reading.then(() => this.readChunk(next, exact)));
          skip = head;
        }

        stop = writing ? await this.commit(await writing) : null;
        writing = null;
        if (stop) return stop;
        const whole = chunk.bytes.subarray(chunk.start, chunk.boundary);
        writing = observed(this.write(whole, chunk.records, at));
        this.control.checksum?.update(whole);
      }
      const last = writing ? await this.commit(await writing) : null;
      writing = null;
      return stop ?? last;
    } finally {
      // Nothing may be left in flight on the files once the loop is left.
      await Promise.allSettled([reading, writing]);
      for (const buffer of this.ring) giveBack(buffer);
    }
  }

  /** Reads a chunk into `buffer` after its carry room; the index just past it. */
  private async readChunk(buffer: Buffer, position: number): Promise<number> {
    return this.carry + (await readAt(this.source, buffer, this.carry, position));
  }

  /** Writes whole records at `at`; the cursor just past them once written. */
  private async write(bytes: Buffer, records: number, at: number): Promise<Cursor> {
    await writeAll(this.part, bytes, at);
    return { offset: at + bytes.length, records };
  }

  // Moves the cursor past a chunk whose write finished, then honours a stop.
  private async commit(written: Cursor): Promise<StopRequest | null> {
    const records = this.cursor.records + written.records;
    this.cursor = { offset: written.offset, records };
    this.control.progress(this.cursor, this.bytesTotal);
    return this.control.stopRequested() ?? (await this.keepToRateLimit());
  }

  /** The whole records at `buffer[start..end)`, reading on if none ends there. */
  private async wholeRecords(
    buffer: Buffer,
    start: number,
    end: number,
  ): Promise<Records> {
    const scanner = newScanner(this.delimiter);
    const found = scanner.scan(buffer, start, end);
    if (found.records > 0) return { bytes: buffer, start, ...found };
    // The scanner keeps its state itself, so the bytes may move to the front.
    buffer.copyWithin(0, start, end);
    return this.readLongRecord(scanner, buffer, end - start);
  }

  // A record longer than a chunk, or the last one with no line ending: read on,
  // growing a buffer, until a record ends, the file ends, or the bound is passed.
  // The buffer holds the record's start, so the first record end found is its length.
  private async readLongRecord(scanner: RecordScan, start: Buffer, filled: number) {
    const bound = this.job.maxRecordBytes;
    let window = start;
    for (;;) {
      if (filled > bound) throw await this.tooLong(scanner);
      if (filled === window.length) window = grow(window, bound + 1);
      const offset = this.scanned + filled;
      const length = await readAt(this.source, window, filled, offset);
      if (length === 0) return this.lastRecord(scanner, window, filled);
      const found = scanner.scan(window, filled, filled + length);
      filled += length;
      if (found.records === 1 && found.boundary > bound)
        throw await this.tooLong(scanner);
      if (found.records > 0) return { bytes: window, start: 0, ...found };
    }
  }

  private async lastRecord(
    scanner: RecordScan,
    window: Buffer,
    filled: number,
  ): Promise<Records> {
    scanner.finish();
    if (scanner.inQuotes) throw await this.unclosedQuote(scanner, 'the file ends first');
    return { bytes: window, start: 0, boundary: filled, records: 1 };
  }

  private async tooLong(scanner: RecordScan): Promise<CopyFailure> {
    const bound = formatBytes(this.job.maxRecordBytes);
    if (scanner.inQuotes) {
      return this.unclosedQuote(scanner, `it is still open after ${bound}`);
    }
    return new CopyFailure(
      'RECORD_TOO_LONG',
      `the record at byte ${this.scanned} runs past ${bound} without a line ending`,
    );
  }

  private async unclosedQuote(scanner: RecordScan, why: string): Promise<CopyFailure> {
    const offset = this.scanned + scanner.quoteOpenedAt;
    const line = await lineAt(this.source, offset);
    return new CopyFailure(
      'UNCLOSED_QUOTE',
      `a quoted field opens at line ${line} (byte ${offset}) and never closes: ${why}`,
    );
  }

  // Sleeps just long enough that the average rate stays under the limit; a stop
  // request cuts the sleep short.
  private async keepToRateLimit(): Promise<StopRequest | null> {
    const rate = this.job.rateLimit;
    if (rate <= 0) return null;
    const due = ((this.cursor.offset - this.startOffset) / rate) * 1000;
    const wait = due - (Date.now() - this.started);
    if (wait > 0) await sleepUnless(wait, this.control.stopping);
    return this.control.stopRequested();
  }
}

// The WebAssembly SIMD scanner is several times faster; the plain one, with the
// same results, serves where the module cannot load (a CPU without SSE4.1, say).
let simdWorks: boolean | null = null;

function newScanner(delimiter: number): RecordScan {
  if (simdWorks !== false) {
    try {
      const scanner = new SimdRecordScanner(delimiter);
      simdWorks = true;
      return scanner;
    } catch (error) {
      if (simdWorks === true) throw error;
      simdWorks = false;
    }
  }
  return new RecordScanner(delimiter);
}

// The room for a carried record: a sixteenth of the chunk, at most 64 KiB.
function carryFor(chunkBytes: number): number {
  return Math.min(CARRY_BYTES, chunkBytes >> 4);
}

// A copy that finds the scan module's chunk buffers all taken, in a thread that
// runs more copies than they serve, copies in chunks of at most this size, so
// that the thread's memory stays bounded however many copies it runs.
const CROWDED_CHUNK_BYTES = 256 * 1024;

/** Three buffers for `chunkBytes` chunks, or smaller ones in a crowded thread. */
function takeRing(chunkBytes: number): { ring: Buffer[]; chunkBytes: number } {
  const size = carryFor(chunkBytes) + chunkBytes;
  const ring: Buffer[] = [];
  for (let buffer = takeModuleBuffer(size); buffer; buffer = takeModuleBuffer(size)) {
    ring.push(buffer);
    if (ring.length === RING) return { ring, chunkBytes };
  }
  for (const buffer of ring) giveBack(buffer);
  const crowded = size <= MODULE_BUFFER_BYTES && moduleBufferCount() > 0;
  if (crowded) chunkBytes = Math.min(chunkBytes, CROWDED_CHUNK_BYTES);
  const bytes = carryFor(chunkBytes) + chunkBytes;
  return { ring: Array.from({ length: RING }, () => takeBuffer(bytes)), chunkBytes };
}

// Chunk buffers from outside the scan module are kept for the next copy in this
// thread instead of being left to the collector: with many short copies the
// churn otherwise swells the heap.
const spareBuffers = new Map<number, Buffer[]>();
const MOST_SPARE_BUFFERS = 16;

function takeBuffer(size: number): Buffer {
  return spareBuffers.get(size)?.pop() ?? Buffer.allocUnsafe(size);
}

function giveBack(buffer: Buffer): void {
  if (giveBackModuleBuffer(buffer)) return;
  const spare = spareBuffers.get(buffer.length) ?? [];
  if (spare.length < MOST_SPARE_BUFFERS) spare.push(buffer);
  spareBuffers.set(buffer.length, spare);
}

// A read or write in flight may fail before the loop awaits it; marking it handled
// keeps that from counting as an unhandled rejection, and the await still throws.
function observed<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function readAt(file: FileHandle, into: Buffer, at: number, position: number) {
  const { bytesRead } = await file.read(into, at, into.length - at, position);
  return bytesRead;
}

async function writeAll(file: FileHandle, bytes: Buffer, position: number) {
  let written = 0;
  while (written < bytes.length) {
    const left = bytes.length - written;
    const result = await file.write(bytes, written, left, position + written);
    written += result.bytesWritten;
  }
}

function grow(window: Buffer, limit: number): Buffer {
  const larger = Buffer.allocUnsafe(Math.min(window.length * 2, limit));
  window.copy(larger);
  return larger;
}

/** The 1-based line of the source that holds byte `offset`: error paths only. */
async function lineAt(file: FileHandle, offset: number): Promise<number> {
  let line = 1;
  await readPrefix(file, offset, (bytes) => {
    for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, lf + 1)) {
      line += 1;
    }
  });
  return line;
}

/** Hands the file's first `length` bytes to `visit`, a chunk at a time, in order. */
export async function readPrefix(
  file: FileHandle,
  length: number,
  visit: (bytes: Buffer) => void,
): Promise<void> {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (let position = 0; position < length;) {
    const want = Math.min(buffer.length, length - position);
    const { bytesRead } = await file.read(buffer, 0, want, position);
    if (bytesRead === 0) return;
    visit(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
}

async function sleepUnless(ms: number, interrupted: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([slept, interrupted]);
  clearTimeout(timer);
}

function formatBytes(bytes: number): string {
  if (bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const FS_CODES: Record<string, [string, string]> = {
  ENOENT: ['SOURCE_NOT_FOUND', 'the file does not exist'],
  ELOOP: [
    'SYMLINK_REFUSED',
    'the file is a symbolic link, which transfers do not follow',
  ],
  ENOSPC: ['DISK_FULL', 'the destination disk is full'],
  EACCES: ['ACCESS_DENIED', 'permission denied'],
};

function describeFailure(error: unknown, job: CopyJob): CopyError {
  if (error instanceof CopyFailure) return { code: error.code, message: error.message };
  const fsCode = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const path = (error as NodeJS.ErrnoException | null)?.path ?? job.source;
  if (fsCode === 'ENOENT' && path !== job.source) {
    return {
      code: 'DESTINATION_NOT_FOUND',
      message: `the folder does not exist: ${path}`,
    };
  }
  const known = FS_CODES[fsCode];
  if (known) return { code: known[0], message: `${known[1]}: ${path}` };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'IO_ERROR', message };
}
