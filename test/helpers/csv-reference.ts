// A plain byte loop that says where CSV records end, kept apart from the code
// under test so the two cannot share a bug. A record ends at a LF outside
// quotes; a quote opens a quoted field only as the first byte of a field (at
// the file start, after the delimiter or after a LF); inside quotes `""` is an
// escaped quote and a lone quote closes the field.

const QUOTE = 0x22;
const LF = 0x0a;

/** What the reference parser found in a whole file. */
export interface ReferenceScan {
  /** Offset just past each record: past its LF, or the file end for a last record. */
  recordEnds: number[];
  /** Offset just past each LF that ends a record: recordEnds without the file end. */
  lfEnds: number[];
  /** Offset of the quote that opened a field still open at the file end, or -1. */
  unclosedQuoteAt: number;
}

export function scanReference(bytes: Uint8Array, delimiter = ','): ReferenceScan {
  const separator = delimiter.charCodeAt(0);
  const lfEnds: number[] = [];
  let inQuotes = false;
  let quoteAt = -1;
  let atFieldStart = true;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (inQuotes) {
      if (byte !== QUOTE) continue;
      if (bytes[i + 1] === QUOTE) i += 1;
      else inQuotes = false;
      continue;
    }
    if (byte === QUOTE && atFieldStart) {
      inQuotes = true;
      quoteAt = i;
    }
    if (byte === LF) lfEnds.push(i + 1);
    atFieldStart = byte === separator || byte === LF;
  }
  const lastEnd = lfEnds.at(-1) ?? 0;
  const recordEnds = bytes.length > lastEnd ? [...lfEnds, bytes.length] : lfEnds;
  return { recordEnds, lfEnds, unclosedQuoteAt: inQuotes ? quoteAt : -1 };
}

/** Offsets just past each record of a well-formed CSV. */
export function recordEnds(bytes: Uint8Array, delimiter = ','): number[] {
  const scan = scanReference(bytes, delimiter);
  if (scan.unclosedQuoteAt !== -1) {
    throw new Error(`the reference CSV has an unclosed quote at ${scan.unclosedQuoteAt}`);
  }
  return scan.recordEnds;
}

/** How many records end at or before `offset`. */
export function recordsUpTo(bytes: Uint8Array, offset: number, delimiter = ','): number {
  return recordEnds(bytes, delimiter).filter((end) => end <= offset).length;
}

/** True if `offset` is the file start or the end of a record. */
export function isRecordBoundary(
  bytes: Uint8Array,
  offset: number,
  delimiter = ',',
): boolean {
  return offset === 0 || recordEnds(bytes, delimiter).includes(offset);
}

/** The 1-based line (LF-separated, as an editor counts them) that holds `offset`. */
export function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (bytes[i] === LF) line += 1;
  return line;
}
