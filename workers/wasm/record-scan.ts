// AssemblyScript, compiled by `npm run build` to dist/workers/record-scan.wasm
// (asc, --enable simd; see asconfig.json beside this file). Not part of the tsc
// build: it uses AssemblyScript's types (u64, v128) and builtins.
//
// Finds CSV record ends in bytes in this module's memory, 64 bytes at a time:
// chunks read straight into it, or pieces that JavaScript copies in. Each block
// gives three 64-bit masks: the quotes (Q), the LFs (L) and the bytes that are a
// LF or the delimiter (S).
//
// The quote state is computed with a "toggle model": take a set T of quotes that
// each flip inside/outside, then `inside` is the prefix XOR of T. Starting from
// T = Q, the toggle model is exactly the CSV state machine (a quote opens only at
// a field start; inside quotes `""` is an escaped quote and a lone quote closes)
// as long as every quote that opens in it is either at a field start or right
// after a quote that closed: an escaped `""` is a close then an open straight
// after it, and a run of quotes inside a field toggles to the same state as the
// pairs-then-lone-close reading. The lowest opening quote that is neither is a
// data quote (`12" pipe`) in the real machine too, as everything before it
// agrees; it is taken out of T and the block is worked out again. So a block
// costs one pass per data quote in it, plus one.
//
// State carried from block to block and piece to piece (JavaScript sets it at
// the start of each call with `begin`, and reads it at the end):
//   inside:      all ones while inside a quoted field, else zero;
//   afterCloser: 1 if the last byte was a quote that closed a field (a quote
//                straight after it is the second half of `""`);
//   fieldStart:  1 if the last byte was a LF or the delimiter.

const LF: i32 = 0x0a;
const QUOTE: i32 = 0x22;
const BLOCK: i32 = 64;

let delimiter: i32 = 0x2c;
// QUOTE and LF, kept in globals that `begin` writes so that the optimizer cannot
// turn their splats into v128 constants: V8 builds such a constant afresh at
// each use inside the loop, which made the scan about a quarter slower.
let quoteByte: i32 = QUOTE;
let lfByte: i32 = LF;
let inside: u64 = 0;
let afterCloser: u64 = 0;
let fieldStart: u64 = 1;
// Per piece: the index of the last LF outside quotes and of the last quote that
// opened a field (not the second half of `""`), or -1.
let lastLf: i32 = -1;
let lastOpen: i32 = -1;

/** The first byte after the statics, 64-byte aligned: JavaScript owns the rest. */
export function freeStart(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}

/** Starts a call: the delimiter (a byte), whether inside quotes, whether at a field start. */
export function begin(delimiterByte: i32, inQuotes: bool, atFieldStart: bool): void {
  delimiter = delimiterByte;
  quoteByte = QUOTE;
  lfByte = LF;
  inside = inQuotes ? ~(<u64>0) : 0;
  afterCloser = 0;
  fieldStart = atFieldStart ? 1 : 0;
}

/** Scans `length` bytes from `start`; returns how many records end there. */
export function scan(start: usize, length: i32): i32 {
  const quotes = i8x16.splat(<i8>quoteByte);
  const lfs = i8x16.splat(<i8>lfByte);
  const delimiters = i8x16.splat(<i8>delimiter);
  // The state in locals for the loop; stored back at the end.
  let insideNow = inside;
  let afterCloserNow = afterCloser;
  let fieldStartNow = fieldStart;
  let lastLfNow: i32 = -1;
  let lastOpenNow: i32 = -1;
  let records: i32 = 0;
  const whole = length & ~(BLOCK - 1);
  // The whole blocks. A block with no quote, outside quotes, only counts its
  // LFs and looks at its last byte, skipping the quote masks and the delimiter
  // comparisons: measured 2.6x faster on quote-free CSV, 1.3x on the benchmark
  // sample (64% of its blocks hold a quote), and no slower with a quote in
  // every block. A data quote costs one more pass over its block.
  for (let base: i32 = 0; base < whole; base += BLOCK) {
    const at = start + <usize>base;
    const v0 = v128.load(at);
    const v1 = v128.load(at, 16);
    const v2 = v128.load(at, 32);
    const v3 = v128.load(at, 48);
    const l0 = i8x16.eq(v0, lfs);
    const l1 = i8x16.eq(v1, lfs);
    const l2 = i8x16.eq(v2, lfs);
    const l3 = i8x16.eq(v3, lfs);
    const q0 = i8x16.eq(v0, quotes);
    const q1 = i8x16.eq(v1, quotes);
    const q2 = i8x16.eq(v2, quotes);
    const q3 = i8x16.eq(v3, quotes);
    const l = bits64(l0, l1, l2, l3);
    if (insideNow == 0 && !v128.any_true(v128.or(v128.or(q0, q1), v128.or(q2, q3)))) {
      records += <i32>popcnt(l);
      lastLfNow = select<i32>(base + 63 - <i32>clz(l), lastLfNow, l != 0);
      afterCloserNow = 0;
      const last = <i32>load<u8>(at, 63);
      fieldStartNow = <u64>((last == lfByte) | (last == delimiter));
      continue;
    }
    const q = bits64(q0, q1, q2, q3);
    const s = bits64(
      v128.or(l0, i8x16.eq(v0, delimiters)),
      v128.or(l1, i8x16.eq(v1, delimiters)),
      v128.or(l2, i8x16.eq(v2, delimiters)),
      v128.or(l3, i8x16.eq(v3, delimiters)),
    );
    const starts = (s << 1) | fieldStartNow;
    let t = q;
    let insideMask = prefixXor(t) ^ insideNow;
    let openers = t & insideMask;
    let afterClosers = ((t & ~insideMask) << 1) | afterCloserNow;
    let stray = openers & ~(starts | afterClosers);
    while (stray != 0) {
      // The first stray opener is a data quote: it toggles nothing.
      t ^= stray & (~stray + 1);
      insideMask = prefixXor(t) ^ insideNow;
      openers = t & insideMask;
      afterClosers = ((t & ~insideMask) << 1) | afterCloserNow;
      stray = openers & ~(starts | afterClosers);
    }
    const opened = openers & ~afterClosers;
    lastOpenNow = select<i32>(base + 63 - <i32>clz(opened), lastOpenNow, opened != 0);
    const ends = l & ~insideMask;
    lastLfNow = select<i32>(base + 63 - <i32>clz(ends), lastLfNow, ends != 0);
    records += <i32>popcnt(ends);
    insideNow = 0 - (insideMask >> 63);
    afterCloserNow = (t & ~insideMask) >> 63;
    fieldStartNow = s >> 63;
  }
  // The last bytes, fewer than a block, one at a time with the same toggle model.
  for (let index = whole; index < length; index += 1) {
    const byte = <i32>load<u8>(start + <usize>index);
    if (byte == QUOTE) {
      if (insideNow != 0) {
        insideNow = 0;
        afterCloserNow = 1;
      } else if (afterCloserNow != 0) {
        // The second half of "": the field goes on.
        insideNow = ~(<u64>0);
        afterCloserNow = 0;
      } else if (fieldStartNow != 0) {
        insideNow = ~(<u64>0);
        lastOpenNow = index;
      }
      // Otherwise a data quote: nothing changes.
    } else {
      afterCloserNow = 0;
      if (byte == LF && insideNow == 0) {
        records += 1;
        lastLfNow = index;
      }
    }
    fieldStartNow = <u64>(byte == LF || byte == delimiter);
  }
  inside = insideNow;
  afterCloser = afterCloserNow;
  fieldStart = fieldStartNow;
  lastLf = lastLfNow;
  lastOpen = lastOpenNow;
  return records;
}

/** The index of the last LF outside quotes in the last piece, or -1. */
export function lastLfAt(): i32 {
  return lastLf;
}

/** The index of the last quote that opened a field in the last piece, or -1. */
export function lastOpenAt(): i32 {
  return lastOpen;
}

/** True if the bytes so far end inside quotes (a closing quote last counts as outside). */
export function endsInside(): bool {
  return inside != 0;
}

/** True if the last byte so far is a quote that closed a field. */
export function endsAfterCloser(): bool {
  return afterCloser != 0;
}

/** The 64 lane masks of four byte comparisons as the bits of a u64. */
function bits64(m0: v128, m1: v128, m2: v128, m3: v128): u64 {
  const low = <u32>i8x16.bitmask(m0) | (<u32>i8x16.bitmask(m1) << 16);
  const high = <u32>i8x16.bitmask(m2) | (<u32>i8x16.bitmask(m3) << 16);
  return <u64>low | (<u64>high << 32);
}

/** Bit i is the XOR of bits 0..i of `x`. */
function prefixXor(x: u64): u64 {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}
