import test from 'ava';
import fc from 'fast-check';
import { RecordScanner } from '../workers/record-scanner.js';
import { scanReference } from './helpers/csv-reference.js';

/** A scanner for `delimiter`, fed with text or bytes one call at a time. */
function scannerFor(delimiter = ',') {
  const scanner = new RecordScanner(delimiter.charCodeAt(0));
  const scan = (text: string | Uint8Array) => {
    const bytes = Buffer.from(text);
    return scanner.scan(bytes, 0, bytes.length);
  };
  return { scanner, scan };
}

/** Scans `text` in one call. */
const scanOnce = (text: string, delimiter = ',') => scannerFor(delimiter).scan(text);

test('records end at each LF and the boundary is just past the last one', (t) => {
  t.deepEqual(scanOnce('a,b\nc,d\ne'), { boundary: 8, records: 2 });
});

test('bytes without a LF hold no whole record', (t) => {
  t.deepEqual(scanOnce('a,b,c'), { boundary: 0, records: 0 });
  t.deepEqual(scanOnce(''), { boundary: 0, records: 0 });
});

test('a CRLF ending ends its record at the LF', (t) => {
  t.deepEqual(scanOnce('a\r\nb\r\nc\r'), { boundary: 6, records: 2 });
});

test('a LF inside a quoted field does not end the record', (t) => {
  t.deepEqual(scanOnce('"a\nb",c\nd\n'), { boundary: 10, records: 2 });
  t.deepEqual(scanOnce('x,"a\r\n\nb"\n'), { boundary: 10, records: 1 });
});

test('a quote inside an unquoted field is data', (t) => {
  t.deepEqual(scanOnce('12" pipe\nx\n'), { boundary: 11, records: 2 });
  t.deepEqual(scanOnce('a,b"\nc"\n'), { boundary: 8, records: 2 });
});

test('an escaped quote inside quotes keeps the field open', (t) => {
  t.deepEqual(scanOnce('"a""\nb"\n'), { boundary: 8, records: 1 });
  t.deepEqual(scanOnce('"""\n"""\nz\n'), { boundary: 10, records: 2 });
});

test('a quote opens a field after the delimiter and not after another byte', (t) => {
  // `;` is the delimiter: `a;"b\nc"` is one record and `d,"e` holds a stray quote.
  t.deepEqual(scanOnce('a;"b\nc"\nd,"e\nf\n', ';'), { boundary: 15, records: 3 });
  t.deepEqual(scanOnce('a\t"b\nc"\nd;"e\nf\n', '\t'), { boundary: 15, records: 3 });
});

test('only the bytes from `from` to `end` are scanned', (t) => {
  const bytes = Buffer.from('ab\ncd\n"e\nf"\n');
  t.deepEqual(new RecordScanner(0x2c).scan(bytes, 0, 2), { boundary: 0, records: 0 });
  t.deepEqual(new RecordScanner(0x2c).scan(bytes, 3, 8), { boundary: 6, records: 1 });
  t.deepEqual(new RecordScanner(0x2c).scan(bytes, 6, 12), { boundary: 12, records: 1 });
});

test('a quote ending one call and one starting the next are an escaped quote', (t) => {
  const { scanner, scan } = scannerFor();
  t.deepEqual(scan('"a"'), { boundary: 0, records: 0 });
  // `"a""` + LF: the LF is inside the field, which closes at `b"`.
  t.deepEqual(scan('"\nb"\n'), { boundary: 5, records: 1 });
  t.false(scanner.inQuotes);
});

test('a quote ending one call and a comma starting the next close the field', (t) => {
  const { scanner, scan } = scannerFor();
  t.deepEqual(scan('"a"'), { boundary: 0, records: 0 });
  t.deepEqual(scan(',b\nc\n'), { boundary: 5, records: 2 });
  t.false(scanner.inQuotes);
});

test('a quote ending one call and a LF starting the next end the record', (t) => {
  const { scan } = scannerFor();
  t.deepEqual(scan('x,"a"'), { boundary: 0, records: 0 });
  t.deepEqual(scan('\n"b\n"\n'), { boundary: 6, records: 2 });
});

test('a quoted field left open carries into the next call', (t) => {
  const { scanner, scan } = scannerFor();
  t.deepEqual(scan('"a\n'), { boundary: 0, records: 0 });
  t.true(scanner.inQuotes);
  t.deepEqual(scan('b"\nc\n'), { boundary: 5, records: 2 });
  t.false(scanner.inQuotes);
});

test('the last byte of one call decides if a quote starting the next opens', (t) => {
  const afterComma = scannerFor();
  afterComma.scan('a,');
  t.deepEqual(afterComma.scan('"b\nc"\n'), { boundary: 6, records: 1 });
  const afterText = scannerFor();
  afterText.scan('ab');
  t.deepEqual(afterText.scan('"b\nc"\n'), { boundary: 6, records: 2 });
});

test('quoteOpenedAt is where the open quote is, from where the scan started', (t) => {
  const { scanner, scan } = scannerFor();
  t.is(scanner.quoteOpenedAt, -1);
  scan('x,y\n12" pipe\n');
  t.is(scanner.quoteOpenedAt, -1, 'a stray quote opens nothing');
  scan('1,"open\n');
  t.is(scanner.quoteOpenedAt, 15);
  t.true(scanner.inQuotes);
});

test('quoteOpenedAt counts from the first `from`, not from the buffer start', (t) => {
  const scanner = new RecordScanner(0x2c);
  // The bytes before `from` (a quote, a LF) are not part of the scan.
  const bytes = Buffer.from('s"\nka,"b\nc');
  scanner.scan(bytes, 4, 7);
  scanner.scan(bytes, 7, bytes.length);
  t.is(scanner.quoteOpenedAt, 2);
  t.true(scanner.inQuotes);
});

test('finish closes a field whose closing quote is the last byte', (t) => {
  const closed = scannerFor();
  closed.scan('x,"a"');
  closed.scanner.finish();
  t.false(closed.scanner.inQuotes);
  const open = scannerFor();
  open.scan('x,"a""');
  open.scanner.finish();
  t.true(open.scanner.inQuotes);
  t.is(open.scanner.quoteOpenedAt, 2);
});

// Any bytes, well-formed or not, cut into any pieces: each call must report the
// records the reference parser ends inside it, and the end state must match.
const BYTES = ['a', 'é', ',', ';', '"', '"', '\n', '\r\n'].map((piece) =>
  Buffer.from(piece),
);
/** Cuts every `step` bytes, 1 to 4, up to the longest input. */
const everyFewBytes = fc
  .integer({ min: 1, max: 4 })
  .map((step) => Array.from({ length: 80 / step }, (_, i) => (i + 1) * step));
const anyBytes = fc.array(fc.constantFrom(...BYTES), { maxLength: 40 });
const scanCase = fc.record({
  bytes: anyBytes.map((parts) => Buffer.concat(parts)),
  cuts: fc.oneof(fc.array(fc.nat({ max: 80 }), { maxLength: 10 }), everyFewBytes),
  delimiter: fc.constantFrom(',', ';'),
  oneBuffer: fc.boolean(),
});

function pieces(length: number, cuts: number[]): [number, number][] {
  const points = [...new Set([0, ...cuts.filter((cut) => cut < length), length])];
  points.sort((a, b) => a - b);
  return points.slice(1).map((end, i) => [points[i] ?? 0, end]);
}

test('scanning in any pieces finds the records the reference parser finds', (t) => {
  let checked = 0;
  fc.assert(
    fc.property(scanCase, ({ bytes, cuts, delimiter, oneBuffer }) => {
      const reference = scanReference(bytes, delimiter);
      const scanner = new RecordScanner(delimiter.charCodeAt(0));
      for (const [from, end] of pieces(bytes.length, cuts)) {
        const inside = reference.lfEnds.filter((lfEnd) => lfEnd > from && lfEnd <= end);
        // In one buffer offsets index it; a piece copied out is indexed from 0.
        const base = oneBuffer ? 0 : from;
        const found = oneBuffer
          ? scanner.scan(bytes, from, end)
          : scanner.scan(Buffer.from(bytes.subarray(from, end)), 0, end - from);
        const boundary = inside.length === 0 ? 0 : (inside.at(-1) ?? 0) - base;
        if (found.records !== inside.length || found.boundary !== boundary) return false;
        checked += 1;
      }
      scanner.finish();
      if (scanner.inQuotes !== (reference.unclosedQuoteAt !== -1)) return false;
      return !scanner.inQuotes || scanner.quoteOpenedAt === reference.unclosedQuoteAt;
    }),
    { numRuns: 2000 },
  );
  t.true(checked > 2000, `${checked} calls checked`);
});
