const QUOTE = 0x22;
const LF = 0x0a;

/** Where a scan of bytes that start on a record boundary found records to end. */
export interface ScanResult {
  /** Index just past the last whole record in the scanned bytes, or 0 if none ended. */
  boundary: number;
  /** How many records end in the scanned bytes, up to `boundary`. */
  records: number;
}

/** What the copier needs of a record scanner; see RecordScanner for the rules. */
export interface RecordScan {
  readonly inQuotes: boolean;
  readonly quoteOpenedAt: number;
  scan(bytes: Uint8Array, from: number, end: number): ScanResult;
  finish(): void;
}

/**
 * Finds CSV record boundaries in bytes that begin at a record boundary.
 *
 * A record ends at a LF outside quotes (a CRLF ending is that LF with a CR before
 * it). A quote opens a quoted field only at the start of a field; elsewhere it is
 * data, so `12" pipe` stays one field. Inside quotes, `""` is an escaped quote.
 * The scan works on raw bytes with the native indexOf, so any encoding passes
 * through untouched; the state carries across calls for records longer than one
 * chunk.
 */
export class RecordScanner implements RecordScan {
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

  constructor(private readonly delimiter: number) {}

  /** Continues the scan over `bytes[from..end)`; offsets in the result index `bytes`. */
  scan(bytes: Uint8Array, from: number, end: number): ScanResult {
    let position = from;
    let boundary = 0;
    let records = 0;
    if (this.quoteAtEnd && position < end) {
      this.quoteAtEnd = false;
      if (bytes[position] === QUOTE) position += 1;
      else this.inQuotes = false;
    }
    // The next LF at or after `position` (bytes.length when none), found once and
    // reused while the scan hops from quote to quote.
    let lf = -1;
    while (position < end) {
      if (this.inQuotes) {
        position = this.skipQuoted(bytes, position, end);
        continue;
      }
      const quote = indexOrEnd(bytes, QUOTE, position, end);
      if (lf < position) lf = indexOrLength(bytes, LF, position);
      while (lf < quote) {
        records += 1;
        boundary = lf + 1;
        lf = indexOrLength(bytes, LF, boundary);
      }
      if (quote === end) break;
      const before = quote > from ? bytes[quote - 1] : this.previousByte;
      if (before === this.delimiter || before === LF) {
        this.inQuotes = true;
        this.quoteOpenedAt = this.scanned + (quote - from);
      }
      position = quote + 1;
    }
    if (end > from) this.previousByte = bytes[end - 1] ?? LF;
    this.scanned += end - from;
    return { boundary, records };
  }

  /** Inside quotes: returns the position just past the closing quote, or `end`. */
  private skipQuoted(bytes: Uint8Array, from: number, end: number): number {
    const quote = indexOrEnd(bytes, QUOTE, from, end);
    if (quote === end) return end;
    if (quote + 1 === end) {
      this.quoteAtEnd = true;
      return end;
    }
    if (bytes[quote + 1] === QUOTE) return quote + 2;
    this.inQuotes = false;
    return quote + 1;
  }

  /** Ends the scan at the end of the file: a quote as the last byte closes its field. */
  finish(): void {
    if (this.quoteAtEnd) this.inQuotes = false;
    this.quoteAtEnd = false;
  }
}

function indexOrEnd(bytes: Uint8Array, byte: number, from: number, end: number): number {
  const found = bytes.indexOf(byte, from);
  return found === -1 || found > end ? end : found;
}

function indexOrLength(bytes: Uint8Array, byte: number, from: number): number {
  const found = bytes.indexOf(byte, from);
  return found === -1 ? bytes.length : found;
}
