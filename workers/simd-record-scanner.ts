import { readFileSync } from 'node:fs';
import type { ScanResult } from './record-scanner.js';

const QUOTE = 0x22;
const LF = 0x0a;

/** The most bytes copied into the module's memory for one call of its scan. */
export const PIECE_BYTES = 1 << 20;

/**
 * The size of each chunk buffer kept in the module's memory: a 1 MiB chunk and
 * the 64 KiB room before it for a carried record, the copier's default ring.
 */
export const MODULE_BUFFER_BYTES = 17 * 65_536;

// The exports of record-scan.wasm, built from workers/wasm/record-scan.ts. Its
// memory never grows, so views of it stay valid. Of its 221 pages of 64 KiB
// (asconfig.json), the first 17 hold the statics and the piece that bytes from
// elsewhere are copied into; the other 204 hold twelve chunk buffers, enough
// for four copies at once in a thread.
interface RecordScanExports {
  memory: { buffer: ArrayBuffer };
  freeStart(): number;
  begin(delimiter: number, inQuotes: number, atFieldStart: number): void;
  scan(start: number, length: number): number;
  lastLfAt(): number;
  lastOpenAt(): number;
  endsInside(): number;
  endsAfterCloser(): number;
}

// Neither lib ES2023 nor @types/node declare WebAssembly; this is the part used.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface RecordScanModule {
  exports: RecordScanExports;
  memory: ArrayBuffer;
  /** Where bytes from outside the module's memory are copied to be scanned. */
  piece: Uint8Array;
  /** Where the chunk buffers start: a 64 KiB boundary. */
  buffersStart: number;
  bufferCount: number;
  /** The indexes of the chunk buffers nobody holds. */
  freeBuffers: number[];
}

// One instance per thread (module state is per thread), made on first use.
let loaded: RecordScanModule | null = null;

function recordScanModule(): RecordScanModule {
  if (loaded) return loaded;
  const file = new URL('./record-scan.wasm', import.meta.url);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    // tsc alone does not make it: `npm run build` compiles it first.
    throw new Error(`cannot read ${file.pathname}: run \`npm run build\``, {
      cause: error,
    });
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const exports = instance.exports as RecordScanExports;
  const memory = exports.memory.buffer;
  const piece = new Uint8Array(memory, exports.freeStart(), PIECE_BYTES);
  const buffersStart = alignUp(piece.byteOffset + PIECE_BYTES, 65_536);
  const count = Math.floor((memory.byteLength - buffersStart) / MODULE_BUFFER_BYTES);
  const freeBuffers = Array.from({ length: count }, (_, index) => count - 1 - index);
  loaded = { exports, memory, piece, buffersStart, bufferCount: count, freeBuffers };
  return loaded;
}

function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/**
 * A chunk buffer of `size` bytes in the module's memory, or null if none is free
 * (or the module cannot load). Its first byte is on a page boundary, so a read
 * into it at a page-aligned offset of the file lands page-aligned too: Linux
 * copies from the page cache about twice as fast then as into the 16-bytes-off
 * addresses that malloc gives large buffers. And the scan reads it in place.
 */
export function takeModuleBuffer(size: number): Buffer | null {
  const module = size <= MODULE_BUFFER_BYTES ? moduleIfItLoads() : null;
  const index = module?.freeBuffers.pop();
  if (!module || index === undefined) return null;
  const start = module.buffersStart + index * MODULE_BUFFER_BYTES;
  return Buffer.from(module.memory, start, size);
}

/** How many chunk buffers the module holds in all: 0 if it cannot load. */
export function moduleBufferCount(): number {
  return moduleIfItLoads()?.bufferCount ?? 0;
}

// For the chunk buffers, which have ordinary buffers to fall back on: the module,
// or null if it cannot load (as the scanners find out for themselves).
function moduleIfItLoads(): RecordScanModule | null {
  try {
    return recordScanModule();
  } catch {
    return null;
  }
}

/** Gives back a buffer from takeModuleBuffer; false if it is not one of them. */
export function giveBackModuleBuffer(buffer: Buffer): boolean {
  if (!loaded || buffer.buffer !== loaded.memory) return false;
  const index = (buffer.byteOffset - loaded.buffersStart) / MODULE_BUFFER_BYTES;
  if (!Number.isInteger(index) || index < 0 || loaded.freeBuffers.includes(index)) {
    throw new Error('not a chunk buffer held from the scan module');
  }
  loaded.freeBuffers.push(index);
  return true;
}

/** Options for tests: how many bytes the module scans per call. */
export interface SimdRecordScannerOptions {
  /** Bytes per piece copied into the module, 1 up to PIECE_BYTES (the default). */
  pieceBytes?: number;
}

/**
 * Finds CSV record boundaries in bytes that begin at a record boundary, with the
 * same rules, results and state as RecordScanner, using a WebAssembly SIMD scan
 * of 64 bytes at a time (workers/wasm/record-scan.ts) instead of one native
 * indexOf per quote and line end.
 *
 * Bytes in one of the module's chunk buffers (takeModuleBuffer) are scanned where
 * they are; others are copied into the module's memory in pieces of up to 1 MiB.
 * The scanner's own state lives in this object, so any number of scanners may be
 * used side by side in a thread; each call runs to its end synchronously.
 * Unlike RecordScanner, a range outside `bytes` throws a RangeError.
 */
export class SimdRecordScanner {
  /** True while the scan is inside a quoted field. */
  inQuotes = false;
  /** Offset, relative to where scanning started, of the quote that opened the field. */
  quoteOpenedAt = -1;

  // A quote as the last scanned byte inside quotes: closing, or the first half of "".
  private quoteAtEnd = false;
  // The byte before the next one to scan; LF means "at the start of a field".
  private previousByte = LF;
  // How many bytes earlier calls scanned, so offsets stay relative to the start.
  private scanned = 0;
  private readonly pieceBytes: number;
  // The delimiter as the module compares it: a byte; any other value never
  // matches a byte, and neither does LF as a delimiter beyond what LF does anyway.
  private readonly delimiterByte: number;

  constructor(
    private readonly delimiter: number,
    options: SimdRecordScannerOptions = {},
  ) {
    const pieceBytes = options.pieceBytes ?? PIECE_BYTES;
    if (!Number.isSafeInteger(pieceBytes) || pieceBytes < 1 || pieceBytes > PIECE_BYTES) {
      throw new RangeError(`pieceBytes must be an integer from 1 to ${PIECE_BYTES}`);
    }
    recordScanModule(); // so that a scanner that cannot work fails where it is made
    this.pieceBytes = pieceBytes;
    const isByte = Number.isInteger(delimiter) && delimiter >= 0 && delimiter <= 0xff;
    this.delimiterByte = isByte ? delimiter : LF;
  }

  /** Continues the scan over `bytes[from..end)`; offsets in the result index `bytes`. */
  scan(bytes: Uint8Array, from: number, end: number): ScanResult {
    if (!(end > from)) {
      // As RecordScanner: nothing is scanned (and the offsets move by end - from).
      this.scanned += end - from;
      return { boundary: 0, records: 0 };
    }
    if (
      !Number.isSafeInteger(from) ||
      !Number.isSafeInteger(end) ||
      from < 0 ||
      end > bytes.length
    ) {
      throw new RangeError(`cannot scan bytes ${from} to ${end} of ${bytes.length}`);
    }
    let position = from;
    if (this.quoteAtEnd) {
      this.quoteAtEnd = false;
      if (bytes[position] === QUOTE) position += 1;
      else this.inQuotes = false;
    }
    let boundary = 0;
    let records = 0;
    if (position < end) {
      const { exports, memory, piece } = recordScanModule();
      const inPlace = bytes.buffer === memory;
      const before = position > from ? bytes[position - 1] : this.previousByte;
      const atFieldStart = before === this.delimiter || before === LF;
      exports.begin(this.delimiterByte, this.inQuotes ? 1 : 0, atFieldStart ? 1 : 0);
      while (position < end) {
        const length = Math.min(this.pieceBytes, end - position);
        let at = bytes.byteOffset + position;
        if (!inPlace) {
          piece.set(bytes.subarray(position, position + length));
          at = piece.byteOffset;
        }
        const found = exports.scan(at, length);
        if (found > 0) {
          records += found;
          boundary = position + exports.lastLfAt() + 1;
        }
        const opened = exports.lastOpenAt();
        if (opened >= 0) this.quoteOpenedAt = this.scanned + (position - from) + opened;
        position += length;
      }
      // A closing quote as the last byte may yet be the first half of "": the
      // field stays open until the next byte shows which.
      this.quoteAtEnd = exports.endsAfterCloser() !== 0;
      this.inQuotes = this.quoteAtEnd || exports.endsInside() !== 0;
    }
    this.previousByte = bytes[end - 1] ?? LF;
    this.scanned += end - from;
    return { boundary, records };
  }

  /** Ends the scan at the end of the file: a quote as the last byte closes its field. */
  finish(): void {
    if (this.quoteAtEnd) this.inQuotes = false;
    this.quoteAtEnd = false;
  }
}
