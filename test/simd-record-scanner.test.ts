import test from 'ava';
import fc from 'fast-check';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeSampleCsv } from '../src/sample-csv.js';
import { RecordScanner, type ScanResult } from '../workers/record-scanner.js';
import {
  giveBackModuleBuffer,
  MODULE_BUFFER_BYTES,
  PIECE_BYTES,
  SimdRecordScanner,
  takeModuleBuffer,
} from '../workers/simd-record-scanner.js';
import { recordEnds, scanReference } from './helpers/csv-reference.js';

// SimdRecordScanner must give exactly what RecordScanner gives, call by call.
// The cases of record-scanner.test.ts come first, each run with the module's
// pieces as large as they come and as small as one byte, so that every case
// also crosses piece edges; then properties against RecordScanner and the
// reference parser; then whole files.

// The csv-spectrum corpus, listed before any test is declared (ava wants them
// all declared synchronously).
const spectrum = path.dirname(
  createRequire(import.meta.url).resolve('csv-spectrum/package.json'),
);
const spectrumFiles = (await readdir(path.join(spectrum, 'csvs')))
  .filter((name) => name.endsWith('.csv'))
  .sort();

/** Piece sizes that put piece edges everywhere: byte by byte, around a block, whole. */
const PIECE_SIZES = [PIECE_BYTES, 1, 2, 63, 64, 65];

interface Scanner {
  inQuotes: boolean;
  quoteOpenedAt: number;
  scan(bytes: Uint8Array, from: number, end: number): ScanResult;
  finish(): void;
}

/** A scanner for `delimiter`, fed with text or bytes one call at a time. */
function scannerFor(delimiter = ',', pieceBytes = PIECE_BYTES) {
  const scanner = new SimdRecordScanner(delimiter.charCodeAt(0), { pieceBytes });
  const scan = (text: string | Uint8Array) => {
    const bytes = Buffer.from(text);
    return scanner.scan(bytes, 0, bytes.length);
  };
  return { scanner, scan };
}

/** Runs `check` once per piece size. */
function forEachPieceSize(check: (pieceBytes: number) => void): void {
  for (const pieceBytes of PIECE_SIZES) check(pieceBytes);
}

/** Scans `text` in one call with every piece size; all must give `expected`. */
function scansTo(
  t: { deepEqual: (actual: unknown, expected: unknown, message?: string) => void },
  text: string,
  expected: ScanResult,
  delimiter = ',',
): void {
  forEachPieceSize((pieceBytes) => {
    t.deepEqual(
      scannerFor(delimiter, pieceBytes).scan(text),
      expected,
      `pieces of ${pieceBytes}`,
    );
  });
}

test('records end at each LF and the boundary is just past the last one', (t) => {
  scansTo(t, 'a,b\nc,d\ne', { boundary: 8, records: 2 });
});

test('bytes without a LF hold no whole record', (t) => {
  scansTo(t, 'a,b,c', { boundary: 0, records: 0 });
  scansTo(t, '', { boundary: 0, records: 0 });
});

test('a CRLF ending ends its record at the LF', (t) => {
  scansTo(t, 'a\r\nb\r\nc\r', { boundary: 6, records: 2 });
});

test('a LF inside a quoted field does not end the record', (t) => {
  scansTo(t, '"a\nb",c\nd\n', { boundary: 10, records: 2 });
  scansTo(t, 'x,"a\r\n\nb"\n', { boundary: 10, records: 1 });
});

test('a quote inside an unquoted field is data', (t) => {
  scansTo(t, '12" pipe\nx\n', { boundary: 11, records: 2 });
  scansTo(t, 'a,b"\nc"\n', { boundary: 8, records: 2 });
});

test('an escaped quote inside quotes keeps the field open', (t) => {
  scansTo(t, '"a""\nb"\n', { boundary: 8, records: 1 });
  scansTo(t, '"""\n"""\nz\n', { boundary: 10, records: 2 });
});

test('a quote opens a field after the delimiter and not after another byte', (t) => {
  // `;` is the delimiter: `a;"b\nc"` is one record and `d,"e` holds a stray quote.
  scansTo(t, 'a;"b\nc"\nd,"e\nf\n', { boundary: 15, records: 3 }, ';');
  scansTo(t, 'a\t"b\nc"\nd;"e\nf\n', { boundary: 15, records: 3 }, '\t');
});

test('only the bytes from `from` to `end` are scanned', (t) => {
  const bytes = Buffer.from('ab\ncd\n"e\nf"\n');
  forEachPieceSize((pieceBytes) => {
    const fresh = () => new SimdRecordScanner(0x2c, { pieceBytes });
    t.deepEqual(fresh().scan(bytes, 0, 2), { boundary: 0, records: 0 });
    t.deepEqual(fresh().scan(bytes, 3, 8), { boundary: 6, records: 1 });
    t.deepEqual(fresh().scan(bytes, 6, 12), { boundary: 12, records: 1 });
  });
});

test('a quote ending one call and one starting the next are an escaped quote', (t) => {
  forEachPieceSize((pieceBytes) => {
    const { scanner, scan } = scannerFor(',', pieceBytes);
    t.deepEqual(scan('"a"'), { boundary: 0, records: 0 });
    // `"a""` + LF: the LF is inside the field, which closes at `b"`.
    t.deepEqual(scan('"\nb"\n'), { boundary: 5, records: 1 });
    t.false(scanner.inQuotes);
  });
});

test('a quote ending one call and a comma starting the next close the field', (t) => {
  forEachPieceSize((pieceBytes) => {
    const { scanner, scan } = scannerFor(',', pieceBytes);
    t.deepEqual(scan('"a"'), { boundary: 0, records: 0 });
    t.deepEqual(scan(',b\nc\n'), { boundary: 5, records: 2 });
    t.false(scanner.inQuotes);
  });
});

test('a quote ending one call and a LF starting the next end the record', (t) => {
  forEachPieceSize((pieceBytes) => {
    const { scan } = scannerFor(',', pieceBytes);
    t.deepEqual(scan('x,"a"'), { boundary: 0, records: 0 });
    t.deepEqual(scan('\n"b\n"\n'), { boundary: 6, records: 2 });
  });
});

test('a quoted field left open carries into the next call', (t) => {
  forEachPieceSize((pieceBytes) => {
    const { scanner, scan } = scannerFor(',', pieceBytes);
    t.deepEqual(scan('"a\n'), { boundary: 0, records: 0 });
    t.true(scanner.inQuotes);
    t.deepEqual(scan('b"\nc\n'), { boundary: 5, records: 2 });
    t.false(scanner.inQuotes);
  });
});

test('the last byte of one call decides if a quote starting the next opens', (t) => {
  forEachPieceSize((pieceBytes) => {
    const afterComma = scannerFor(',', pieceBytes);
    afterComma.scan('a,');
    t.deepEqual(afterComma.scan('"b\nc"\n'), { boundary: 6, records: 1 });
    const afterText = scannerFor(',', pieceBytes);
    afterText.scan('ab');
    t.deepEqual(afterText.scan('"b\nc"\n'), { boundary: 6, records: 2 });
  });
});

test('quoteOpenedAt is where the open quote is, from where the scan started', (t) => {
  forEachPieceSize((pieceBytes) => {
    const { scanner, scan } = scannerFor(',', pieceBytes);
    t.is(scanner.quoteOpenedAt, -1);
    scan('x,y\n12" pipe\n');
    t.is(scanner.quoteOpenedAt, -1, 'a stray quote opens nothing');
    scan('1,"open\n');
    t.is(scanner.quoteOpenedAt, 15);
    t.true(scanner.inQuotes);
  });
});

test('quoteOpenedAt counts from the first `from`, not from the buffer start', (t) => {
  forEachPieceSize((pieceBytes) => {
    const scanner = new SimdRecordScanner(0x2c, { pieceBytes });
    // The bytes before `from` (a quote, a LF) are not part of the scan.
    const bytes = Buffer.from('s"\nka,"b\nc');
    scanner.scan(bytes, 4, 7);
    scanner.scan(bytes, 7, bytes.length);
    t.is(scanner.quoteOpenedAt, 2);
    t.true(scanner.inQuotes);
  });
});

test('finish closes a field whose closing quote is the last byte', (t) => {
  forEachPieceSize((pieceBytes) => {
    const closed = scannerFor(',', pieceBytes);
    closed.scan('x,"a"');
    closed.scanner.finish();
    t.false(closed.scanner.inQuotes);
    const open = scannerFor(',', pieceBytes);
    open.scan('x,"a""');
    open.scanner.finish();
    t.true(open.scanner.inQuotes);
    t.is(open.scanner.quoteOpenedAt, 2);
  });
});

test('quoteOpenedAt and the pending quote survive blocks and pieces of the module', (t) => {
  // 200 bytes of plain records, then a field that opens past the first blocks.
  const plain = 'abc,defg\n'.repeat(22);
  const text = `${plain}x,"long\n${'y'.repeat(150)}"`;
  forEachPieceSize((pieceBytes) => {
    const simd = scannerFor(',', pieceBytes);
    const found = simd.scan(text);
    t.deepEqual(found, { boundary: plain.length, records: 22 });
    t.true(simd.scanner.inQuotes, 'the last quote may be the first half of ""');
    t.is(simd.scanner.quoteOpenedAt, plain.length + 2);
    t.deepEqual(simd.scan('\n'), { boundary: 1, records: 1 });
    t.false(simd.scanner.inQuotes);
  });
});

test('a block of 64 bytes with no quote tells the next whether a field starts', (t) => {
  // The quote-free block is counted on a short path that reads only its last byte.
  const opens = { ',': true, '\n': true, x: false };
  for (const [last, quoteOpens] of Object.entries(opens)) {
    const text = `${'a'.repeat(63)}${last}"q\nr"\nz\n`;
    const records = (last === '\n' ? 1 : 0) + (quoteOpens ? 2 : 3);
    scansTo(t, text, { boundary: text.length, records });
    const plain = new RecordScanner(0x2c).scan(Buffer.from(text), 0, text.length);
    t.deepEqual(plain, { boundary: text.length, records }, JSON.stringify(last));
  }
});

test('scanners used side by side in one thread keep their own state', (t) => {
  const one = scannerFor();
  const other = scannerFor();
  one.scan('a,"open\n');
  other.scan('b,c\n');
  t.true(one.scanner.inQuotes);
  t.false(other.scanner.inQuotes);
  t.deepEqual(one.scan('still"\nnext\n'), { boundary: 12, records: 2 });
  t.deepEqual(other.scan('"q\n'), { boundary: 0, records: 0 });
  t.true(other.scanner.inQuotes);
});

test('a scanner works in a worker thread, which loads its own module', async (t) => {
  const scannerUrl = new URL('../workers/simd-record-scanner.js', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(scannerUrl)}).then(({ SimdRecordScanner }) => {
      const bytes = Buffer.from('a,"b\\nc"\\nd\\n'.repeat(1000));
      parentPort.postMessage(new SimdRecordScanner(0x2c).scan(bytes, 0, bytes.length));
    });
  `;
  const worker = new Worker(code, { eval: true });
  const result = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  t.deepEqual(result, { boundary: 10_000, records: 2000 });
});

test('an empty or backward range scans nothing, as in RecordScanner', (t) => {
  const bytes = Buffer.from('"a\n');
  const simd = new SimdRecordScanner(0x2c);
  const plain = new RecordScanner(0x2c);
  for (const [from, end] of [
    [1, 1],
    [3, 3],
    [2, 1],
    [0, 3],
  ] as const) {
    t.deepEqual(simd.scan(bytes, from, end), plain.scan(bytes, from, end));
    t.is(simd.inQuotes, plain.inQuotes);
    t.is(simd.quoteOpenedAt, plain.quoteOpenedAt);
  }
});

test('a range outside the bytes is refused', (t) => {
  const bytes = Buffer.from('a,b\n');
  const scanner = new SimdRecordScanner(0x2c);
  t.throws(() => scanner.scan(bytes, 0, 5), { instanceOf: RangeError });
  t.throws(() => scanner.scan(bytes, -1, 2), { instanceOf: RangeError });
  t.throws(() => scanner.scan(bytes, 0.5, 2), { instanceOf: RangeError });
});

test('a piece size outside 1 to 1 MiB is refused', (t) => {
  for (const pieceBytes of [0, -1, 1.5, PIECE_BYTES + 1, Number.NaN]) {
    t.throws(() => new SimdRecordScanner(0x2c, { pieceBytes }), {
      instanceOf: RangeError,
    });
  }
});

// ---------------------------------------------------------------------------
// Properties: any bytes, any cuts, any piece size.

/** Pieces of bytes to build inputs from: mostly the ones that matter to CSV. */
const TOKENS = [
  '"',
  '"',
  '"',
  '""',
  ',',
  ';',
  '\t',
  '\n',
  '\r',
  '\r\n',
  'a',
  'é',
  '",',
  ',"',
  '"\n',
];
const token = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...TOKENS).map((text) => Buffer.from(text)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 255 }).map((byte) => Buffer.from([byte])),
  },
);
const shortBytes = fc
  .array(token, { maxLength: 40 })
  .map((parts) => Buffer.concat(parts));
const longBytes = fc
  .array(token, { maxLength: 700, size: 'max' })
  .map((parts) => Buffer.concat(parts));
// Well-formed CSV too, so that long runs of ordinary records get their share:
// plain fields (some with a data quote), quoted fields with `""`, delimiters and
// line ends inside, and LF or CRLF endings; the delimiter byte is put in later.
const plainField = fc.stringMatching(/^[a-z0-9 é]{0,12}("[a-z ]{0,6})?$/);
const quotedField = fc
  .array(fc.constantFrom('x', 'yz', ' ', '""', 'D', '\n', '\r\n', 'é'), { maxLength: 10 })
  .map((parts) => `"${parts.join('')}"`);
const csvRecord = fc
  .tuple(
    fc.array(fc.oneof(plainField, quotedField), { minLength: 1, maxLength: 6 }),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([fields, ending]) => fields.join('D') + ending);
const csvBytes = fc
  .array(csvRecord, { maxLength: 30 })
  .map((records) => Buffer.from(records.join('')));
const anyBytes = fc.oneof(shortBytes, longBytes, csvBytes);

/** `bytes` with each `D` (a placeholder in csvBytes) made the delimiter. */
function withDelimiter(bytes: Buffer, delimiter: string): Buffer {
  return Buffer.from(
    bytes.map((byte) => (byte === 0x44 ? delimiter.charCodeAt(0) : byte)),
  );
}

/** Where to cut an input: arbitrary offsets, or every `step` bytes from `offset`. */
const cutPlan = fc.oneof(
  fc.record({ at: fc.array(fc.nat({ max: 2000 }), { maxLength: 12 }) }),
  fc.record({
    step: fc.constantFrom(1, 2, 3, 16, 63, 64, 65, 127, 128, 200),
    offset: fc.nat({ max: 64 }),
  }),
);
type CutPlan = { at: number[] } | { step: number; offset: number };

function cutsFor(length: number, plan: CutPlan): number[] {
  if ('at' in plan) return plan.at;
  const cuts: number[] = [];
  for (let cut = plan.offset; cut < length; cut += plan.step) cuts.push(cut);
  return cuts;
}

/** [from, end) pairs covering 0..length, cut at `cuts`. */
function pieces(length: number, cuts: number[]): [number, number][] {
  const points = [...new Set([0, ...cuts.filter((cut) => cut < length), length])];
  points.sort((a, b) => a - b);
  return points.slice(1).map((end, i) => [points[i] ?? 0, end]);
}

interface Case {
  bytes: Buffer;
  ranges: [number, number][];
  delimiter: string;
  pieceBytes: number;
  oneBuffer: boolean;
  /** Bytes put this far into one of the module's chunk buffers, scanned in place. */
  moduleShift: number | null;
}

/** Runs `use` with a chunk buffer of the scan module, given back afterwards. */
function withModuleBuffer<T>(use: (buffer: Buffer) => T): T {
  const buffer = takeModuleBuffer(MODULE_BUFFER_BYTES);
  if (!buffer) throw new Error('no chunk buffer is free in the scan module');
  try {
    return use(buffer);
  } finally {
    giveBackModuleBuffer(buffer);
  }
}

/**
 * Scans the case with both scanners call by call. Returns a description of the
 * first difference from RecordScanner or the reference parser, or null.
 */
function firstDifference(scanCase: Case): string | null {
  const shift = scanCase.moduleShift;
  if (shift === null) return differenceIn(scanCase, (bytes) => bytes);
  // Both scanners read the same view of the module's memory.
  return withModuleBuffer((held) =>
    differenceIn(scanCase, (bytes) => {
      bytes.copy(held, shift);
      return held.subarray(shift, shift + bytes.length);
    }),
  );
}

function differenceIn(
  { bytes, ranges, delimiter, pieceBytes, oneBuffer }: Case,
  place: (bytes: Buffer) => Buffer,
): string | null {
  const whole = oneBuffer ? place(bytes) : bytes;
  const reference = scanReference(bytes, delimiter);
  const plain = new RecordScanner(delimiter.charCodeAt(0));
  const simd = new SimdRecordScanner(delimiter.charCodeAt(0), { pieceBytes });
  for (const [from, end] of ranges) {
    // In one buffer offsets index it; a piece copied out is indexed from 0.
    const [source, start, stop] = oneBuffer
      ? [whole, from, end]
      : [place(Buffer.from(bytes.subarray(from, end))), 0, end - from];
    const expected = plain.scan(source, start, stop);
    const found = simd.scan(source, start, stop);
    const where = `bytes ${from} to ${end}`;
    if (found.records !== expected.records || found.boundary !== expected.boundary) {
      return `${where}: ${JSON.stringify(found)}, RecordScanner ${JSON.stringify(expected)}`;
    }
    if (simd.inQuotes !== plain.inQuotes || simd.quoteOpenedAt !== plain.quoteOpenedAt) {
      return `${where}: state ${simd.inQuotes}/${simd.quoteOpenedAt}, RecordScanner ${plain.inQuotes}/${plain.quoteOpenedAt}`;
    }
    const inside = reference.lfEnds.filter((lfEnd) => lfEnd > from && lfEnd <= end);
    const base = oneBuffer ? 0 : from;
    const boundary = inside.length === 0 ? 0 : (inside.at(-1) ?? 0) - base;
    if (found.records !== inside.length || found.boundary !== boundary) {
      return `${where}: ${JSON.stringify(found)}, reference ${inside.length} ending at ${boundary}`;
    }
  }
  plain.finish();
  simd.finish();
  if (simd.inQuotes !== plain.inQuotes || simd.quoteOpenedAt !== plain.quoteOpenedAt) {
    return `after finish: ${simd.inQuotes}/${simd.quoteOpenedAt}, RecordScanner ${plain.inQuotes}/${plain.quoteOpenedAt}`;
  }
  if (simd.inQuotes !== (reference.unclosedQuoteAt !== -1))
    return 'inQuotes differs from the reference';
  if (simd.inQuotes && simd.quoteOpenedAt !== reference.unclosedQuoteAt) {
    return `quoteOpenedAt ${simd.quoteOpenedAt}, reference ${reference.unclosedQuoteAt}`;
  }
  return null;
}

const scanCase = fc
  .record({
    bytes: anyBytes,
    plan: cutPlan,
    delimiter: fc.constantFrom(',', ';', '\t'),
    pieceBytes: fc.constantFrom(PIECE_BYTES, 1, 2, 7, 63, 64, 65, 100, 1000),
    oneBuffer: fc.boolean(),
    moduleShift: fc.option(fc.nat({ max: 130 })),
  })
  .map(({ bytes, plan, delimiter, ...rest }): Case => ({
    bytes: withDelimiter(bytes, delimiter),
    ranges: pieces(bytes.length, cutsFor(bytes.length, plan)),
    delimiter,
    ...rest,
  }));

test('any bytes in any pieces give the results of RecordScanner and the reference', (t) => {
  let calls = 0;
  let longest = 0;
  fc.assert(
    fc.property(scanCase, (scanCase) => {
      const difference = firstDifference(scanCase);
      if (difference !== null) throw new Error(difference);
      calls += scanCase.ranges.length;
      longest = Math.max(longest, scanCase.bytes.length);
    }),
    { numRuns: 4000 },
  );
  t.log(`${calls} calls checked; the longest input has ${longest} bytes`);
  t.true(calls > 20_000);
  t.true(longest > 512);
});

test('inputs of a few MiB, more than one piece of the module, give the same results', (t) => {
  const manyMiB = fc
    .record({
      unit: fc.oneof(longBytes, csvBytes).filter((bytes) => bytes.length > 0),
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
      delimiter: fc.constantFrom(',', ';', '\t'),
      pieceBytes: fc.constantFrom(PIECE_BYTES, 100_003),
      oneBuffer: fc.boolean(),
    })
    .map(({ unit, cuts, delimiter, pieceBytes, oneBuffer }): Case => {
      const bytes = Buffer.alloc(2 * PIECE_BYTES + 12_345 + (unit.length % 64));
      const delimited = withDelimiter(unit, delimiter);
      for (let at = 0; at < bytes.length; at += unit.length) delimited.copy(bytes, at);
      const at = cuts.map((share) => Math.floor(share * bytes.length));
      return {
        bytes,
        ranges: pieces(bytes.length, at),
        delimiter,
        pieceBytes,
        oneBuffer,
        moduleShift: null,
      };
    });
  fc.assert(
    fc.property(manyMiB, (scanCase) => {
      const difference = firstDifference(scanCase);
      if (difference !== null) throw new Error(difference);
    }),
    { numRuns: 25 },
  );
  t.pass();
});

test('a delimiter that is a quote, a LF or no byte at all still matches RecordScanner', (t) => {
  const delimiters = [0x22, 0x0a, 0x0d, 0x00, 0xff, 256, -1, 44.5];
  fc.assert(
    fc.property(
      anyBytes,
      cutPlan,
      fc.constantFrom(...delimiters),
      fc.constantFrom(PIECE_BYTES, 1, 64, 65),
      (bytes, plan, delimiter, pieceBytes) => {
        const plain = new RecordScanner(delimiter);
        const simd = new SimdRecordScanner(delimiter, { pieceBytes });
        for (const [from, end] of pieces(bytes.length, cutsFor(bytes.length, plan))) {
          const expected = plain.scan(bytes, from, end);
          const found = simd.scan(bytes, from, end);
          if (found.records !== expected.records || found.boundary !== expected.boundary)
            return false;
          if (
            simd.inQuotes !== plain.inQuotes ||
            simd.quoteOpenedAt !== plain.quoteOpenedAt
          )
            return false;
        }
        plain.finish();
        simd.finish();
        return (
          simd.inQuotes === plain.inQuotes && simd.quoteOpenedAt === plain.quoteOpenedAt
        );
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});

// ---------------------------------------------------------------------------
// Whole files, scanned the way the copier does.

/** What a copier-style pass found: where each chunk's records end, and the end state. */
interface CopierPass {
  chunks: { boundary: number; records: number }[];
  inQuotes: boolean;
  quoteOpenedAt: number;
}

/**
 * Scans `bytes` as copy-records does: a new scanner per chunk from the last
 * boundary; if no record ends in a chunk, the same scanner goes on over a
 * growing window until one does or the file ends, where the rest is one record.
 * Boundaries are offsets in the file.
 */
function copierPass(bytes: Buffer, chunk: number, make: () => Scanner): CopierPass {
  const chunks: CopierPass['chunks'] = [];
  let scanned = 0;
  while (scanned < bytes.length) {
    const scanner = make();
    let end = Math.min(scanned + chunk, bytes.length);
    let found = scanner.scan(bytes.subarray(scanned, end), 0, end - scanned);
    while (found.records === 0 && end < bytes.length) {
      const next = Math.min(end + chunk, bytes.length);
      found = scanner.scan(bytes.subarray(scanned, next), end - scanned, next - scanned);
      end = next;
    }
    if (found.records === 0) {
      scanner.finish();
      chunks.push({ boundary: bytes.length, records: 1 });
      return { chunks, inQuotes: scanner.inQuotes, quoteOpenedAt: scanner.quoteOpenedAt };
    }
    scanned += found.boundary;
    chunks.push({ boundary: scanned, records: found.records });
  }
  return { chunks, inQuotes: false, quoteOpenedAt: -1 };
}

/** Checks a pass against the reference parser: each chunk's count and boundary. */
function referenceDifference(bytes: Buffer, pass: CopierPass): string | null {
  const ends = recordEnds(bytes);
  let previous = 0;
  for (const { boundary, records } of pass.chunks) {
    const inside = ends.filter((end) => end > previous && end <= boundary);
    if (inside.length !== records || inside.at(-1) !== boundary) {
      return `after ${previous}: ${records} records to ${boundary}, reference ${inside.length} to ${inside.at(-1)}`;
    }
    previous = boundary;
  }
  return previous === bytes.length
    ? null
    : `the records end at ${previous}, not at the file end`;
}

const CHUNK_SIZES = [1, 2, 5, 63, 64, 65, 4096];

test('every csv-spectrum file gives the same records and boundaries under both scanners', async (t) => {
  t.true(spectrumFiles.length > 10, `found ${spectrumFiles.length} files`);
  for (const name of spectrumFiles) {
    const bytes = await readFile(path.join(spectrum, 'csvs', name));
    for (const chunk of CHUNK_SIZES) {
      const label = `${name} in chunks of ${chunk}`;
      const plain = copierPass(bytes, chunk, () => new RecordScanner(0x2c));
      for (const pieceBytes of [PIECE_BYTES, 1, 64]) {
        const simd = copierPass(
          bytes,
          chunk,
          () => new SimdRecordScanner(0x2c, { pieceBytes }),
        );
        t.deepEqual(simd, plain, `${label}, pieces of ${pieceBytes}`);
      }
      t.is(referenceDifference(bytes, plain), null, label);
    }
  }
});

test('a generated CRLF sample of a few MB gives the same records and boundaries', async (t) => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'simd-scanner-test-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'sample.csv');
  const written = await writeSampleCsv(file, {
    bytes: 3_000_000,
    lineEnding: '\r\n',
    quotedNewlineEvery: 50,
  });
  const bytes = await readFile(file);
  const ends = recordEnds(bytes);
  t.is(ends.length, written.records + 1, 'the reference parser counts the header too');

  // In one call over all of it: more than one piece of the module.
  const whole = new SimdRecordScanner(0x2c).scan(bytes, 0, bytes.length);
  t.deepEqual(whole, new RecordScanner(0x2c).scan(bytes, 0, bytes.length));
  t.is(whole.records, ends.length);
  t.is(whole.boundary, bytes.length);

  for (const chunk of [PIECE_BYTES, 65_536, 4093]) {
    const plain = copierPass(bytes, chunk, () => new RecordScanner(0x2c));
    const simd = copierPass(bytes, chunk, () => new SimdRecordScanner(0x2c));
    t.deepEqual(simd, plain, `chunks of ${chunk}`);
    t.is(referenceDifference(bytes, simd), null, `chunks of ${chunk}`);
  }
});

test('a chunk buffer of the module, full of a sample, scans in place as RecordScanner does', async (t) => {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'simd-scanner-test-'));
  t.teardown(() => rm(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'sample.csv');
  await writeSampleCsv(file, { bytes: 2 * MODULE_BUFFER_BYTES, quotedNewlineEvery: 7 });
  const bytes = await readFile(file);
  withModuleBuffer((held) => {
    bytes.copy(held, 0, 0, held.length);
    for (const [from, end] of [
      [0, held.length],
      [3, held.length - 5],
      [PIECE_BYTES - 10, held.length],
    ] as const) {
      const expected = new RecordScanner(0x2c).scan(bytes, from, end);
      t.true(expected.records > 0);
      t.deepEqual(new SimdRecordScanner(0x2c).scan(held, from, end), expected);
    }
  });
});

test('the module lends page-aligned chunk buffers that do not overlap, and takes them back', (t) => {
  // Synchronous from taking to giving back, so no other test finds them all taken.
  const held: Buffer[] = [];
  try {
    for (let buffer = takeModuleBuffer(1000); buffer; buffer = takeModuleBuffer(1000)) {
      held.push(buffer);
    }
    t.true(held.length >= 12, `${held.length} buffers`);
    const starts = held.map((buffer) => buffer.byteOffset).sort((a, b) => a - b);
    for (const [index, start] of starts.entries()) {
      t.is(start % 4096, 0);
      if (index > 0) t.true(start - (starts[index - 1] ?? 0) >= MODULE_BUFFER_BYTES);
    }
    t.is(takeModuleBuffer(MODULE_BUFFER_BYTES + 1), null, 'larger than a chunk buffer');

    const last = held.pop()!;
    t.true(giveBackModuleBuffer(last));
    t.throws(() => giveBackModuleBuffer(last), { message: /not a chunk buffer held/ });
    t.false(giveBackModuleBuffer(Buffer.alloc(10)), 'not one of the module');
    const again = takeModuleBuffer(MODULE_BUFFER_BYTES);
    t.is(again?.byteOffset, last.byteOffset);
    if (again) held.push(again);
  } finally {
    for (const buffer of held) giveBackModuleBuffer(buffer);
  }
});
