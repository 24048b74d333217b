import test from 'ava';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSampleCsv } from '../src/sample-csv.js';

const FIELDS_PER_RECORD = 6;

/** What the reference parser found, including counts of the awkward cases. */
interface ParsedCsv {
  records: string[][];
  /** The line ending that closed each record ('' for a final unterminated one). */
  endings: string[];
  /** Character offset where each record starts, to size the last record. */
  starts: number[];
  quotedNewlines: number;
  escapedQuotes: number;
  strayQuotes: number;
}

/**
 * A deliberately simple, strict CSV reader kept separate from the generator,
 * so the two cannot share a bug: a quote opens a quoted field only at a field
 * start, `""` inside quotes is a quote, and a newline inside quotes is data.
 */
function parseCsv(text: string): ParsedCsv {
  const parsed: ParsedCsv = {
    records: [],
    endings: [],
    starts: [0],
    quotedNewlines: 0,
    escapedQuotes: 0,
    strayQuotes: 0,
  };
  let record: string[] = [];
  let field = '';
  let atFieldStart = true;
  let inQuotes = false;
  let justClosedQuote = false;
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (inQuotes) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        parsed.escapedQuotes += 1;
        i += 2;
      } else if (char === '"') {
        inQuotes = false;
        justClosedQuote = true;
        i += 1;
      } else {
        if (char === '\n') parsed.quotedNewlines += 1;
        field += char;
        i += 1;
      }
      continue;
    }
    const ending = text.startsWith('\r\n', i) ? '\r\n' : char === '\n' ? '\n' : '';
    if (justClosedQuote && char !== ',' && ending === '') {
      throw new Error(`text after a closing quote at offset ${i}`);
    }
    justClosedQuote = false;
    if (char === '"' && atFieldStart) {
      inQuotes = true;
      atFieldStart = false;
      i += 1;
    } else if (char === ',') {
      record.push(field);
      field = '';
      atFieldStart = true;
      i += 1;
    } else if (ending !== '') {
      record.push(field);
      parsed.records.push(record);
      parsed.endings.push(ending);
      record = [];
      field = '';
      atFieldStart = true;
      i += ending.length;
      parsed.starts.push(i);
    } else {
      if (char === '"') parsed.strayQuotes += 1;
      field += char;
      atFieldStart = false;
      i += 1;
    }
  }
  if (inQuotes) throw new Error('the file ends inside a quoted field');
  if (!atFieldStart || record.length > 0) {
    record.push(field);
    parsed.records.push(record);
    parsed.endings.push('');
  } else {
    // The last start points past the final line ending, not at a record.
    parsed.starts.pop();
  }
  return parsed;
}

/** Runs `body` in a fresh temp folder and always removes the folder afterwards. */
async function inTempFolder(body: (folder: string) => Promise<void>): Promise<void> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'sample-'));
  try {
    await body(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

test('the size reaches the request and overshoots by at most one record', async (t) => {
  await inTempFolder(async (folder) => {
    // 9 MiB spans more than one write batch, so the batch seam is covered too.
    for (const requested of [1, 123_457, 9 * 1024 * 1024]) {
      const file = path.join(folder, `sample-${requested}.csv`);
      const result = await writeSampleCsv(file, { bytes: requested });
      const text = await readFile(file, 'utf8');
      const { size } = await stat(file);
      const parsed = parseCsv(text);
      const lastStart = parsed.starts.at(-1) ?? 0;
      const lastRecordBytes = Buffer.byteLength(text.slice(lastStart), 'utf8');
      t.is(result.bytes, size);
      t.is(result.records, parsed.records.length - 1);
      t.true(size >= requested, `${requested}: ${size}`);
      t.true(size - lastRecordBytes < requested, `${requested}: ${size}`);
    }
  });
});

test('a request no bigger than the header gives just the header', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    const result = await writeSampleCsv(file, { bytes: 0 });
    t.deepEqual(result, { bytes: 39, records: 0 });
    t.is(await readFile(file, 'utf8'), 'id,name,city,comment,amount,created_at\n');
  });
});

test('the reported record count matches what a CSV parser finds', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    const options = { bytes: 200_000, quotedNewlineEvery: 25 };
    const result = await writeSampleCsv(file, options);
    const parsed = parseCsv(await readFile(file, 'utf8'));
    t.true(result.records > 0);
    t.is(parsed.records.length - 1, result.records);
  });
});

test('every record, header included, has six fields', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    await writeSampleCsv(file, { bytes: 200_000, quotedNewlineEvery: 25 });
    const { records } = parseCsv(await readFile(file, 'utf8'));
    t.deepEqual(records[0], ['id', 'name', 'city', 'comment', 'amount', 'created_at']);
    const wrong = records.filter((record) => record.length !== FIELDS_PER_RECORD);
    t.deepEqual(wrong, []);
  });
});

test('a large enough file holds every awkward kind of field', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    await writeSampleCsv(file, { bytes: 300_000, quotedNewlineEvery: 50 });
    const text = await readFile(file, 'utf8');
    const parsed = parseCsv(text);
    t.true(parsed.quotedNewlines > 0, 'quoted newlines');
    t.true(parsed.escapedQuotes > 0, 'escaped quotes');
    t.true(parsed.strayQuotes > 0, 'stray quotes inside unquoted fields');
    t.true(parsed.records.some((record) => record.some((field) => field.includes(','))));
    for (const sample of ['é', 'ü', '東京']) t.true(text.includes(sample), sample);
    t.regex(text, /\p{Extended_Pictographic}/u, 'emoji');
  });
});

test('a quoted newline appears once every quotedNewlineEvery records', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    const options = { bytes: 300_000, quotedNewlineEvery: 50 };
    const result = await writeSampleCsv(file, options);
    const { records } = parseCsv(await readFile(file, 'utf8'));
    const multiline = records.filter((record) =>
      record.some((field) => field.includes('\n')),
    );
    t.is(multiline.length, Math.floor(result.records / 50));
  });
});

test('the same seed gives identical bytes and another seed does not', async (t) => {
  await inTempFolder(async (folder) => {
    const write = async (name: string, seed: number): Promise<Buffer> => {
      const file = path.join(folder, name);
      await writeSampleCsv(file, { bytes: 250_000, seed, quotedNewlineEvery: 40 });
      return readFile(file);
    };
    const first = await write('a.csv', 42);
    const again = await write('b.csv', 42);
    const other = await write('c.csv', 43);
    t.true(first.equals(again));
    t.false(first.equals(other));
  });
});

test('CRLF mode ends every record, and the header, with CRLF', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    const lineEnding = '\r\n';
    await writeSampleCsv(file, { bytes: 150_000, lineEnding, quotedNewlineEvery: 20 });
    const text = await readFile(file, 'utf8');
    const { endings, quotedNewlines } = parseCsv(text);
    t.true(quotedNewlines > 0);
    t.true(endings.every((ending) => ending === '\r\n'));
    t.false(/[^\r]\n/.test(text), 'no bare LF anywhere');
  });
});

test('the default file ends every record with LF and has no CR at all', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    await writeSampleCsv(file, { bytes: 100_000 });
    const text = await readFile(file, 'utf8');
    t.true(parseCsv(text).endings.every((ending) => ending === '\n'));
    t.false(text.includes('\r'));
  });
});

test('a write creates missing folders and leaves only the finished file', async (t) => {
  await inTempFolder(async (folder) => {
    const nested = path.join(folder, 'a', 'b');
    await writeSampleCsv(path.join(nested, 'sample.csv'), { bytes: 50_000 });
    t.deepEqual(await readdir(nested), ['sample.csv']);
  });
});

test('a failed write removes its temp file and rethrows the error', async (t) => {
  await inTempFolder(async (folder) => {
    // A folder in the way makes the final rename fail after all data is written.
    const target = path.join(folder, 'sample.csv');
    await mkdir(path.join(target, 'occupied'), { recursive: true });
    await t.throwsAsync(writeSampleCsv(target, { bytes: 50_000 }));
    t.deepEqual(await readdir(folder), ['sample.csv']);
    t.deepEqual(await readdir(target), ['occupied']);
  });
});

test('nonsense options are refused before any file is created', async (t) => {
  await inTempFolder(async (folder) => {
    const file = path.join(folder, 'sample.csv');
    await t.throwsAsync(writeSampleCsv(file, { bytes: -1 }), { instanceOf: RangeError });
    await t.throwsAsync(writeSampleCsv(file, { bytes: 10, quotedNewlineEvery: 0 }), {
      instanceOf: RangeError,
    });
    t.deepEqual(await readdir(folder), []);
  });
});
