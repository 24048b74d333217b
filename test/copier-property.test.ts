import test from 'ava';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { partPath, type CopyOutcome, type Cursor } from '../workers/copy-protocol.js';
import {
  copyJob,
  copyWithPauses,
  exists,
  tempFolder,
} from './helpers/copy-in-process.js';
import { recordEnds } from './helpers/csv-reference.js';

const DELIMITERS = [',', ';', '\t'];

/** Text for any field: ASCII, multi-byte UTF-8 and bytes that are not UTF-8. */
const TEXT = ['a', 'Z', '7', ' ', 'é', '€', '😀', [0xff], [0xfe], [0xc3]].map((piece) =>
  Buffer.from(piece),
);
const QUOTE = Buffer.from('"');
const bytesOf = (text: string) => Buffer.from(text);

/** An unquoted field: no delimiter, no LF, and a quote only after its first byte. */
function unquotedField(delimiter: string): fc.Arbitrary<Buffer> {
  const others = DELIMITERS.filter((other) => other !== delimiter).map(bytesOf);
  const first = fc.constantFrom(...TEXT, ...others);
  const rest = fc.array(fc.constantFrom(...TEXT, ...others, QUOTE), { maxLength: 6 });
  const filled = fc
    .tuple(first, rest)
    .map(([head, tail]) => Buffer.concat([head, ...tail]));
  return fc.oneof(fc.constant(Buffer.alloc(0)), filled);
}

/** A quoted field holding any delimiter, `""`, LF and CRLF. */
function quotedField(): fc.Arbitrary<Buffer> {
  const inside = [...TEXT, ...DELIMITERS.map(bytesOf), bytesOf('""')];
  const lineEndings = [bytesOf('\n'), bytesOf('\r\n')];
  const content = fc.array(fc.constantFrom(...inside, ...lineEndings), { maxLength: 8 });
  return content.map((pieces) => Buffer.concat([QUOTE, ...pieces, QUOTE]));
}

/** A well-formed CSV with records ending in LF or CRLF, the last one maybe not. */
function csvFile(delimiter: string): fc.Arbitrary<Buffer> {
  const field = fc.oneof(unquotedField(delimiter), quotedField());
  const record = fc.array(field, { minLength: 1, maxLength: 5 });
  const ending = fc.constantFrom(bytesOf('\n'), bytesOf('\r\n'));
  const records = fc.array(fc.tuple(record, ending), { maxLength: 12, size: 'max' });
  return fc.tuple(records, fc.boolean()).map(([lines, finalEnding]) => {
    const parts = lines.flatMap(([fields, end]) => [joinFields(fields, delimiter), end]);
    if (!finalEnding && parts.length > 0) parts.pop();
    return Buffer.concat(parts);
  });
}

function joinFields(fields: Buffer[], delimiter: string): Buffer {
  const separator = bytesOf(delimiter);
  const parts = fields.flatMap((field, i) => (i === 0 ? [field] : [separator, field]));
  return Buffer.concat(parts);
}

// Small chunks most of the time, so that most files take several chunks.
const smallChunk = fc.integer({ min: 1, max: 16 });
const anyChunk = fc.integer({ min: 1, max: 200 });
// Pause after k chunks: mostly soon, so that there is still something to copy.
const pauseAfterChunks = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 3 },
  fc.integer({ min: 1, max: 20 }),
);
const copyCase = fc.constantFrom(...DELIMITERS).chain((delimiter) =>
  fc.record({
    delimiter: fc.constant(delimiter),
    bytes: csvFile(delimiter),
    chunkBytes: fc.oneof({ arbitrary: smallChunk, weight: 3 }, anyChunk),
    pauseAfter: fc.array(pauseAfterChunks, { maxLength: 8, size: 'max' }),
  }),
);

/** Checks a cursor against the reference: on a record boundary, records counted. */
function assertOnBoundary(ends: number[], cursor: Cursor, what: string) {
  const message = `${what} at offset ${cursor.offset} (record ends: ${ends.join(' ')})`;
  assert.ok(cursor.offset === 0 || ends.includes(cursor.offset), message);
  const records = ends.filter((end) => end <= cursor.offset).length;
  assert.equal(cursor.records, records, message);
}

test('copies with any chunks and pauses are exact and pause on boundaries', async (t) => {
  const folder = await tempFolder(t);
  let runs = 0;
  let pauses = 0;
  let midFilePauses = 0;
  const property = fc.asyncProperty(copyCase, async (input) => {
    const { bytes, delimiter, chunkBytes, pauseAfter } = input;
    const ends = recordEnds(bytes, delimiter);
    const runFolder = path.join(folder, `run-${(runs += 1)}`);
    await mkdir(runFolder);
    const source = path.join(runFolder, 'source.csv');
    const destination = path.join(runFolder, 'copy.csv');
    await writeFile(source, bytes);
    const job = copyJob(source, destination, { chunkBytes, delimiter });
    let previous = 0;
    const checksum = createHash('sha256');
    const outcome = await copyWithPauses(
      job,
      pauseAfter,
      async (paused, control) => {
        pauses += 1;
        if (paused.cursor.offset < bytes.length) midFilePauses += 1;
        for (const cursor of control.cursors) assertOnBoundary(ends, cursor, 'progress');
        assertOnBoundary(ends, paused.cursor, 'pause');
        assert.ok(paused.cursor.offset > previous, 'each run copies at least one record');
        previous = paused.cursor.offset;
        const part = await readFile(partPath(destination));
        assert.deepEqual(part, bytes.subarray(0, paused.cursor.offset), 'the .part');
        assert.equal(await exists(destination), false, 'no final file while paused');
      },
      checksum,
    );
    assertCompleted(outcome, { offset: bytes.length, records: ends.length });
    assert.deepEqual(await readFile(destination), bytes, 'the final file');
    const expected = createHash('sha256').update(bytes).digest('hex');
    assert.equal(checksum.digest('hex'), expected, 'the checksum fed across pauses');
    assert.equal(await exists(partPath(destination)), false, 'no .part left');
  });
  await fc.assert(property, { numRuns: 200 });
  t.is(runs, 200);
  t.true(midFilePauses > 100, `${midFilePauses} of ${pauses} pauses were mid-file`);
});

function assertCompleted(outcome: CopyOutcome, cursor: Cursor) {
  const detail = outcome.kind === 'failed' ? `: ${outcome.error.message}` : '';
  assert.equal(outcome.kind, 'completed', `the copy ended ${outcome.kind}${detail}`);
  assert.deepEqual(outcome.cursor, cursor);
}
