import test, { type ExecutionContext } from 'ava';
import {
  appendFile,
  readFile,
  rename,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { partPath, type CopyOutcome, type Cursor } from '../workers/copy-protocol.js';
import { copyRecords } from '../workers/copy-records.js';
import {
  giveBackModuleBuffer,
  takeModuleBuffer,
} from '../workers/simd-record-scanner.js';
import {
  ChunkControl,
  copyJob,
  copyOnce,
  copyWithPauses,
  exists,
  tempFolder,
} from './helpers/copy-in-process.js';
import {
  isRecordBoundary,
  lineOf,
  recordEnds,
  recordsUpTo,
  scanReference,
} from './helpers/csv-reference.js';

const CHUNK_SIZES = [1, 2, 3, 7, 64, 65536];
/** Chunk sizes that split a record of up to 32 bytes at every position. */
const EVERY_SPLIT = [...Array.from({ length: 32 }, (_, i) => i + 1), 65536];

/** Bytes from UTF-8 text and raw byte values, in order. */
function bytesOf(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(part)));
}

/** A source file holding `bytes` in a fresh temp folder. */
async function sourceFile(t: ExecutionContext, bytes: Uint8Array) {
  const folder = await tempFolder(t);
  const source = path.join(folder, 'source.csv');
  await writeFile(source, bytes);
  return { folder, source, destination: path.join(folder, 'copy.csv') };
}

interface CaseOptions {
  delimiter?: string;
  chunkSizes?: number[];
}

/**
 * Copies `bytes` with every chunk size and checks the copy byte for byte, the
 * record count (hand-counted, and equal to the reference parser's) and that no
 * `.part` file is left.
 */
const copiesExactly = test.macro(
  async (t, bytes: Buffer, records: number, options: CaseOptions = {}) => {
    const { delimiter = ',', chunkSizes = CHUNK_SIZES } = options;
    t.is(recordEnds(bytes, delimiter).length, records, 'the reference parser agrees');
    const { folder, source } = await sourceFile(t, bytes);
    for (const chunkBytes of chunkSizes) {
      const destination = path.join(folder, `copy-${chunkBytes}.csv`);
      const job = copyJob(source, destination, { chunkBytes, delimiter });
      const outcome = await copyOnce(job);
      const label = `chunks of ${chunkBytes} bytes`;
      const cursor = { offset: bytes.length, records };
      t.like(outcome, { kind: 'completed', cursor, bytesTotal: bytes.length }, label);
      t.deepEqual(await readFile(destination), bytes, label);
      t.false(await exists(partPath(destination)), label);
    }
  },
);

test(
  'quoted newlines stay inside their records',
  copiesExactly,
  bytesOf('id,note\n1,"line one\nline two"\n2,"a\n\nb"\n3,plain\n'),
  4,
);

test(
  'CRLF line endings are copied as they are, also inside quoted fields',
  copiesExactly,
  bytesOf('id,name\r\n1,"x\r\ny"\r\n2,b\r\n'),
  3,
);

test(
  'a stray quote inside an unquoted field is data, not the start of a quoted field',
  copiesExactly,
  bytesOf('id,item\n1,12" pipe\n2,"quoted, ok"\n3,5" x 7"\n4,last\n'),
  5,
);

test(
  'a last record without a line ending is copied and counted',
  copiesExactly,
  bytesOf('id,name\n1,a\n2,b'),
  3,
);

test(
  'an empty file completes with no records and an empty destination',
  copiesExactly,
  Buffer.alloc(0),
  0,
);

test(
  'a file holding only its header is one record',
  copiesExactly,
  bytesOf('id,name,price\n'),
  1,
);

test(
  'a UTF-8 byte order mark is copied as it is',
  copiesExactly,
  bytesOf([0xef, 0xbb, 0xbf], 'id,name\n1,é\n'),
  2,
);

test(
  'multi-byte UTF-8 characters split across chunks are copied whole',
  copiesExactly,
  bytesOf('id,name\n1,日本語\n2,"😀,é\n€"\n3,ß😀\n'),
  4,
);

test(
  'bytes that are not valid UTF-8 are copied as they are',
  copiesExactly,
  bytesOf('id,raw\n1,', [0xff, 0xfe, 0xc3], '\n2,"', [0xc3], '\n', [0xff], '"\n'),
  3,
);

test(
  'a record larger than the chunk is copied whole',
  copiesExactly,
  bytesOf('id,blob\n1,', 'x'.repeat(1000), '\n2,"', 'y\n'.repeat(300), '"\n3,z\n'),
  4,
);

// With `;` as the delimiter, `b,"c` holds a stray quote: a copier that took `,`
// for the delimiter would join `2;b,"c` and `3;d"` into one record.
const SEMICOLON_CSV = 'a;b\n1;"x;y"\n2;b,"c\n3;d"\n4;"multi\nline"\n5;e,"f\n6;g"\n';

test(
  'with ; as the delimiter a quote after ; opens a field and one after , does not',
  copiesExactly,
  bytesOf(SEMICOLON_CSV),
  7,
  { delimiter: ';' },
);

test(
  'with a tab as the delimiter a quote after a tab opens a field, one after ; not',
  copiesExactly,
  bytesOf(SEMICOLON_CSV.replaceAll(';', '\t').replaceAll(',', ';')),
  7,
  { delimiter: '\t' },
);

test('the delimiter fixtures split otherwise under another delimiter', (t) => {
  const semicolon = bytesOf(SEMICOLON_CSV);
  t.not(recordEnds(semicolon, ',').length, 7);
  const tab = bytesOf(SEMICOLON_CSV.replaceAll(';', '\t').replaceAll(',', ';'));
  t.not(recordEnds(tab, ';').length, 7);
});

// A `""` split between its two quotes must not close the field: if it did, the
// LF after it would end the record early and the count would be off.
test(
  'an escaped quote split across a chunk boundary stays an escaped quote',
  copiesExactly,
  bytesOf('id,text\n1,"say ""\n"" ok"\n2,"""\n"""\n3,z\n'),
  4,
  { chunkSizes: EVERY_SPLIT },
);

test(
  'a quote closing a field just before a chunk boundary closes it',
  copiesExactly,
  bytesOf('id,text\n1,"a",b\n2,"",\n3,"x\ny"\n4,z\n'),
  5,
  { chunkSizes: EVERY_SPLIT },
);

interface BoundOptions {
  maxRecordBytes?: number;
  chunkSizes?: number[];
}

/** Where copyEachChunkSize() puts the copy made with chunks of `chunkBytes`. */
const copyPath = (folder: string, chunkBytes: number) =>
  path.join(folder, `copy-${chunkBytes}.csv`);

/** Copies `bytes` once per chunk size, each to its own destination. */
async function copyEachChunkSize(
  t: ExecutionContext,
  bytes: Buffer,
  options: BoundOptions = {},
): Promise<{ folder: string; outcomes: Map<number, CopyOutcome> }> {
  const { chunkSizes = CHUNK_SIZES, maxRecordBytes = 1 << 20 } = options;
  const { folder, source } = await sourceFile(t, bytes);
  const outcomes = new Map<number, CopyOutcome>();
  for (const chunkBytes of chunkSizes) {
    const destination = copyPath(folder, chunkBytes);
    const job = copyJob(source, destination, { chunkBytes, maxRecordBytes });
    outcomes.set(chunkBytes, await copyOnce(job));
  }
  return { folder, outcomes };
}

/** How each copy ended, by chunk size: its error code if it failed, else its kind. */
function endings(outcomes: Map<number, CopyOutcome>): Record<string, string> {
  const ending = (outcome: CopyOutcome) =>
    outcome.kind === 'failed' ? outcome.error.code : outcome.kind;
  const byChunk: Record<string, string> = {};
  for (const [size, outcome] of outcomes) byChunk[`chunks of ${size}`] = ending(outcome);
  return byChunk;
}

/** The same ending for every chunk size, to compare with endings(). */
function everywhere(ending: string, chunkSizes: number[]): Record<string, string> {
  return Object.fromEntries(chunkSizes.map((size) => [`chunks of ${size}`, ending]));
}

/** Checks that every copy failed with `code` and left no file under the final name. */
async function failsWith(
  t: ExecutionContext,
  bytes: Buffer,
  code: string,
  options: BoundOptions = {},
): Promise<Map<number, CopyOutcome>> {
  const { folder, outcomes } = await copyEachChunkSize(t, bytes, options);
  t.deepEqual(endings(outcomes), everywhere(code, options.chunkSizes ?? CHUNK_SIZES));
  for (const chunkBytes of outcomes.keys()) {
    const label = `chunks of ${chunkBytes} bytes`;
    t.false(await exists(copyPath(folder, chunkBytes)), label);
  }
  return outcomes;
}

/** Checks that every failure's message names `line` and `byte`. */
function assertMessagesName(
  t: ExecutionContext,
  outcomes: Map<number, CopyOutcome>,
  line: number,
  byte: number,
) {
  for (const [chunkBytes, outcome] of outcomes) {
    const message = outcome.kind === 'failed' ? outcome.error.message : '';
    const label = `chunks of ${chunkBytes} bytes: ${message}`;
    if (line > 0) t.regex(message, new RegExp(`\\bline ${line}\\b`), label);
    t.regex(message, new RegExp(`\\bbyte ${byte}\\b`), label);
  }
}

test('an unclosed quote at the file end fails naming its line and byte', async (t) => {
  const bytes = bytesOf('id,note\n1,"a\nb"\n2,"never closed\n3,x\n');
  const quoteAt = bytes.indexOf('"never');
  t.is(scanReference(bytes).unclosedQuoteAt, quoteAt);
  t.is(lineOf(bytes, quoteAt), 4);
  const outcomes = await failsWith(t, bytes, 'UNCLOSED_QUOTE');
  assertMessagesName(t, outcomes, 4, quoteAt);
});

// The quote does close, but only 300 bytes on, past the 64 bytes a record may hold.
const QUOTE_OPEN_TOO_LONG = bytesOf('id,note\n1,"a\nb"\n2,"', 'open\n'.repeat(60), '"\n');
// A record of 301 bytes, 5 bytes into the file.
const RECORD_TOO_LONG = bytesOf('id\n1\n', 'x'.repeat(300), '\nz\n');
/** Chunks smaller than the records above, which must be read in several chunks. */
const SMALLER_CHUNKS = { maxRecordBytes: 64, chunkSizes: [1, 2, 3, 7, 64] };

test('a quote open past maxRecordBytes fails naming its line and byte', async (t) => {
  const bytes = QUOTE_OPEN_TOO_LONG;
  const quoteAt = bytes.indexOf('2,"') + 2;
  t.is(lineOf(bytes, quoteAt), 4);
  const outcomes = await failsWith(t, bytes, 'UNCLOSED_QUOTE', SMALLER_CHUNKS);
  assertMessagesName(t, outcomes, 4, quoteAt);
});

test('a record longer than maxRecordBytes without quotes fails', async (t) => {
  const outcomes = await failsWith(t, RECORD_TOO_LONG, 'RECORD_TOO_LONG', SMALLER_CHUNKS);
  assertMessagesName(t, outcomes, 0, 5);
});

test('maxRecordBytes holds when the chunk is larger than the record', async (t) => {
  const larger = { maxRecordBytes: 64, chunkSizes: [1024, 65536] };
  await failsWith(t, RECORD_TOO_LONG, 'RECORD_TOO_LONG', larger);
  await failsWith(t, QUOTE_OPEN_TOO_LONG, 'UNCLOSED_QUOTE', larger);
});

// Whether the line ending counts towards the bound or not, a record of exactly
// maxRecordBytes with its LF is within it and one of maxRecordBytes + 2 is not.
const MAX_RECORD = 10;
const NEAR_THE_BOUND = Array.from({ length: MAX_RECORD + 4 }, (_, i) => i + 1);
const AT_THE_BOUND = { maxRecordBytes: MAX_RECORD, chunkSizes: NEAR_THE_BOUND };

test('a record of exactly maxRecordBytes, line ending included, is copied', async (t) => {
  const bytes = bytesOf('id\n123456789\nz\n');
  const { outcomes } = await copyEachChunkSize(t, bytes, AT_THE_BOUND);
  t.deepEqual(endings(outcomes), everywhere('completed', NEAR_THE_BOUND));
});

test('a last record of maxRecordBytes with no line ending is copied', async (t) => {
  const bytes = bytesOf('id\n1234567890');
  const { outcomes } = await copyEachChunkSize(t, bytes, AT_THE_BOUND);
  t.deepEqual(endings(outcomes), everywhere('completed', NEAR_THE_BOUND));
});

test('a record of maxRecordBytes + 2 bytes fails whatever the chunk size', async (t) => {
  await failsWith(t, bytesOf('id\n12345678901\nz\n'), 'RECORD_TOO_LONG', AT_THE_BOUND);
});

// One byte over, the verdict may go either way, but not depend on the chunk size.
test('a record of maxRecordBytes + 1 bytes ends alike whatever the chunk', async (t) => {
  const bytes = bytesOf('id\n1234567890\nz\n');
  const { outcomes } = await copyEachChunkSize(t, bytes, AT_THE_BOUND);
  const first = endings(outcomes)['chunks of 1'] ?? '';
  t.deepEqual(endings(outcomes), everywhere(first, NEAR_THE_BOUND));
});

/** Forty records mixing quoted newlines, CRLF, stray quotes and multi-byte text. */
function manyRecords(): Buffer {
  const records = Array.from({ length: 40 }, (_, i) => {
    const note = i % 3 === 0 ? `"line ${i}\nnext, ""quoted"""` : `${i}" pipe é`;
    return `${i},${note},${'ü'.repeat(i % 5)}${i % 2 ? '\r\n' : '\n'}`;
  });
  return bytesOf('id,note,text\n', records.join(''));
}

const PAUSE_CHUNK_SIZES = [1, 2, 3, 7, 64];

/** Checks a stopped copy: the `.part` is the source up to a record boundary. */
async function assertStoppedOnBoundary(
  t: ExecutionContext,
  bytes: Buffer,
  destination: string,
  cursor: Cursor,
  label: string,
) {
  t.true(cursor.offset > 0 && cursor.offset < bytes.length, label);
  t.true(isRecordBoundary(bytes, cursor.offset), label);
  t.is(cursor.records, recordsUpTo(bytes, cursor.offset), label);
  const part = await readFile(partPath(destination));
  t.deepEqual(part, bytes.subarray(0, cursor.offset), label);
  t.false(await exists(destination), label);
}

for (const kind of ['pause', 'terminate'] as const) {
  test(`a ${kind} leaves a .part ending on a record boundary only`, async (t) => {
    const bytes = manyRecords();
    const { folder, source } = await sourceFile(t, bytes);
    for (const chunkBytes of PAUSE_CHUNK_SIZES) {
      for (const stopAfter of [1, 2, 5]) {
        const destination = path.join(folder, `copy-${chunkBytes}-${stopAfter}.csv`);
        const job = copyJob(source, destination, { chunkBytes });
        const control = new ChunkControl(stopAfter, kind);
        const outcome = await copyRecords(job, control);
        const label = `chunks of ${chunkBytes} bytes, stop after ${stopAfter}`;
        const expected = kind === 'pause' ? 'paused' : 'terminated';
        t.like(outcome, { kind: expected, cursor: control.cursors.at(-1) }, label);
        t.is(control.cursors.length, stopAfter, label);
        await assertStoppedOnBoundary(t, bytes, destination, outcome.cursor, label);
      }
    }
  });
}

test('a pause asked for while the first chunk is read writes nothing', async (t) => {
  const bytes = manyRecords();
  const { source, destination } = await sourceFile(t, bytes);
  const control = new ChunkControl();
  const copying = copyRecords(copyJob(source, destination, { chunkBytes: 64 }), control);
  control.stop('pause');
  const outcome = await copying;
  t.like(outcome, { kind: 'paused', cursor: { offset: 0, records: 0 } });
  t.deepEqual(control.cursors, [], 'no chunk was written');
  t.is((await stat(partPath(destination))).size, 0);
});

test('a copy paused many times resumes to an exact copy', async (t) => {
  const bytes = manyRecords();
  const { folder, source } = await sourceFile(t, bytes);
  for (const chunkBytes of PAUSE_CHUNK_SIZES) {
    const destination = path.join(folder, `copy-${chunkBytes}.csv`);
    const job = copyJob(source, destination, { chunkBytes });
    const label = `chunks of ${chunkBytes} bytes`;
    let pauses = 0;
    const outcome = await copyWithPauses(job, [1, 3, 1, 2, 4], async (paused) => {
      pauses += 1;
      await assertStoppedOnBoundary(t, bytes, destination, paused.cursor, label);
    });
    t.is(pauses, 5, label);
    const cursor = { offset: bytes.length, records: recordEnds(bytes).length };
    t.like(outcome, { kind: 'completed', cursor }, label);
    t.deepEqual(await readFile(destination), bytes, label);
    t.false(await exists(partPath(destination)), label);
  }
});

test('more copies at once than the scan module has chunk buffers all copy exactly', async (t) => {
  // 8 copies of 3 buffers each: the first ones take the module's chunk buffers,
  // the rest smaller ordinary ones, and both kinds are reused by the copies after.
  const bytes = Buffer.concat(Array.from({ length: 3000 }, () => manyRecords()));
  const { folder, source } = await sourceFile(t, bytes);
  for (const round of [1, 2]) {
    const copies = Array.from({ length: 8 }, async (_, index) => {
      const destination = path.join(folder, `copy-${round}-${index}.csv`);
      const chunkBytes = index % 2 ? 1 << 20 : 65_536;
      const outcome = await copyOnce(copyJob(source, destination, { chunkBytes }));
      t.like(outcome, { kind: 'completed' }, destination);
      t.true(bytes.equals(await readFile(destination)), destination);
    });
    await Promise.all(copies);
  }
});

// Serial: ava runs serial tests before the others, so no other copy holds buffers.
test.serial(
  'a copy in a thread whose chunk buffers are all taken copies in smaller chunks',
  async (t) => {
    const bytes = Buffer.concat(Array.from({ length: 1500 }, () => manyRecords()));
    const { folder, source } = await sourceFile(t, bytes);
    const chunksOf = async (name: string) => {
      const control = new ChunkControl();
      const job = copyJob(source, path.join(folder, name), { chunkBytes: 1 << 20 });
      t.like(await copyRecords(job, control), { kind: 'completed' });
      t.true(bytes.equals(await readFile(path.join(folder, name))));
      return control.cursors.length;
    };
    const roomy = await chunksOf('roomy.csv');
    const held: Buffer[] = [];
    for (let buffer = takeModuleBuffer(1); buffer; buffer = takeModuleBuffer(1)) {
      held.push(buffer);
    }
    let crowded: number;
    try {
      crowded = await chunksOf('crowded.csv');
    } finally {
      for (const buffer of held) giveBackModuleBuffer(buffer);
    }
    t.true(held.length > 0);
    t.is(roomy, Math.ceil(bytes.length / (1 << 20)));
    t.true(crowded >= Math.ceil(bytes.length / (256 * 1024)), `${crowded} chunks`);
  },
);

test('the source file is never modified', async (t) => {
  const bytes = manyRecords();
  const { folder, source, destination } = await sourceFile(t, bytes);
  await utimes(source, 1_600_000_000, 1_600_000_000);
  const before = await stat(source);
  const completed = await copyOnce(copyJob(source, destination, { chunkBytes: 7 }));
  const resumedTo = path.join(folder, 'resumed.csv');
  const job = copyJob(source, resumedTo, { chunkBytes: 3 });
  const resumed = await copyWithPauses(job, [2, 2], async () => {});
  const tooLong = { chunkBytes: 4, maxRecordBytes: 8 };
  const failed = await copyOnce(copyJob(source, destination, tooLong));
  t.deepEqual(
    [completed.kind, resumed.kind, failed.kind],
    ['completed', 'completed', 'failed'],
  );
  const after = await stat(source);
  t.deepEqual(await readFile(source), bytes);
  t.is(after.mtimeMs, before.mtimeMs);
  t.is(after.size, before.size);
  t.is(after.ino, before.ino);
});

/** A copy of manyRecords() paused after its second chunk of 7 bytes. */
async function pausedCopy(t: ExecutionContext) {
  const bytes = manyRecords();
  const files = await sourceFile(t, bytes);
  await utimes(files.source, 1_600_000_000, 1_600_000_000);
  const job = copyJob(files.source, files.destination, { chunkBytes: 7 });
  const paused = await copyRecords(job, new ChunkControl(2));
  if (paused.kind !== 'paused') throw new Error(`expected a pause, got ${paused.kind}`);
  const resume = { ...job, cursor: paused.cursor, expectedSource: paused.source };
  return { ...files, bytes, paused, resume };
}

test('resuming after the source grew fails with SOURCE_CHANGED', async (t) => {
  const { source, resume } = await pausedCopy(t);
  await appendFile(source, '41,more,x\n');
  await utimes(source, 1_600_000_000, 1_600_000_000);
  t.like(await copyOnce(resume), { kind: 'failed', error: { code: 'SOURCE_CHANGED' } });
});

test('resuming after the source was rewritten at the same size fails', async (t) => {
  const { source, bytes, resume } = await pausedCopy(t);
  await writeFile(source, Buffer.from(bytes).reverse());
  await utimes(source, 1_600_000_001, 1_600_000_001);
  t.like(await copyOnce(resume), { kind: 'failed', error: { code: 'SOURCE_CHANGED' } });
});

test('resuming after the source was replaced by another file fails', async (t) => {
  const { folder, source, bytes, resume } = await pausedCopy(t);
  const replacement = path.join(folder, 'replacement.csv');
  await writeFile(replacement, bytes);
  await utimes(replacement, 1_600_000_000, 1_600_000_000);
  await rename(replacement, source);
  t.like(await copyOnce(resume), { kind: 'failed', error: { code: 'SOURCE_CHANGED' } });
});

test('resuming cuts bytes the .part holds past the cursor', async (t) => {
  const { destination, bytes, paused, resume } = await pausedCopy(t);
  // Longer than the rest of the source, so that writing it again cannot hide it.
  await appendFile(partPath(destination), 'half a record,'.repeat(bytes.length));
  const outcome = await copyOnce(resume);
  const cursor = { offset: bytes.length, records: recordEnds(bytes).length };
  t.true(paused.cursor.offset < bytes.length);
  t.like(outcome, { kind: 'completed', cursor });
  t.deepEqual(await readFile(destination), bytes);
  t.false(await exists(partPath(destination)));
});

test('a source that is a symbolic link is refused', async (t) => {
  const { folder, source, destination } = await sourceFile(t, bytesOf('a,b\n1,2\n'));
  const link = path.join(folder, 'link.csv');
  await symlink(source, link);
  const outcome = await copyOnce(copyJob(link, destination));
  t.like(outcome, { kind: 'failed', error: { code: 'SYMLINK_REFUSED' } });
  t.false(await exists(destination));
  t.false(await exists(partPath(destination)));
});

test('a missing source fails with SOURCE_NOT_FOUND', async (t) => {
  const folder = await tempFolder(t);
  const destination = path.join(folder, 'copy.csv');
  const outcome = await copyOnce(copyJob(path.join(folder, 'missing.csv'), destination));
  t.like(outcome, { kind: 'failed', error: { code: 'SOURCE_NOT_FOUND' } });
  t.false(await exists(destination));
});

test('rateLimit slows a copy without changing its bytes', async (t) => {
  const bytes = bytesOf('id,value\n', '1234,abcd\n'.repeat(600));
  const { source, destination } = await sourceFile(t, bytes);
  const rateLimit = 30_000;
  const job = copyJob(source, destination, { chunkBytes: 600, rateLimit });
  const started = Date.now();
  const outcome = await copyOnce(job);
  const elapsed = Date.now() - started;
  const least = (bytes.length / rateLimit) * 1000;
  t.like(outcome, { kind: 'completed' });
  t.true(elapsed >= least - 10, `took ${elapsed} ms, at least ${least} ms expected`);
  t.deepEqual(await readFile(destination), bytes);
});

/** Asks for a pause once the copy waits on the rate limit after its first chunk. */
class PauseDuringWait extends ChunkControl {
  override progress(cursor: Cursor): void {
    super.progress(cursor);
    setImmediate(() => this.stop('pause'));
  }
}

test('a stop request wakes a rate-limit wait', async (t) => {
  const bytes = bytesOf('123456789\n'.repeat(100));
  const { source, destination } = await sourceFile(t, bytes);
  // 40 bytes a second: the wait after the first chunk of 100 bytes is 2.5 s.
  const job = copyJob(source, destination, { chunkBytes: 100, rateLimit: 40 });
  const started = Date.now();
  const outcome = await copyRecords(job, new PauseDuringWait());
  const elapsed = Date.now() - started;
  t.like(outcome, { kind: 'paused', cursor: { offset: 100, records: 10 } });
  t.true(elapsed < 1000, `took ${elapsed} ms`);
  t.deepEqual(await readFile(partPath(destination)), bytes.subarray(0, 100));
});
