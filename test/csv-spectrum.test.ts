import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { partPath } from '../workers/copy-protocol.js';
import { copyJob, copyOnce, exists, tempFolder } from './helpers/copy-in-process.js';
import { recordEnds } from './helpers/csv-reference.js';

// csv-spectrum: small CSVs covering the cases CSV parsers get wrong, each with
// the rows it holds as JSON, which checks the reference parser independently.
const spectrum = path.dirname(
  createRequire(import.meta.url).resolve('csv-spectrum/package.json'),
);
const csvFiles = (await readdir(path.join(spectrum, 'csvs')))
  .filter((name) => name.endsWith('.csv'))
  .sort();

const CHUNK_SIZES = [1, 2, 5, 64, 65536];

/** How many rows the corpus's JSON holds for `name`: the records after the header. */
async function jsonRows(name: string): Promise<number> {
  const json = path.join(spectrum, 'json', name.replace(/\.csv$/, '.json'));
  const rows: unknown = JSON.parse(await readFile(json, 'utf8'));
  return Array.isArray(rows) ? rows.length : 1;
}

test('the csv-spectrum corpus holds more than ten CSV files', (t) => {
  t.true(csvFiles.length > 10, `found ${csvFiles.length}: ${csvFiles.join(', ')}`);
});

for (const name of csvFiles) {
  test(`${name} is copied byte for byte with the reference record count`, async (t) => {
    const bytes = await readFile(path.join(spectrum, 'csvs', name));
    const records = recordEnds(bytes).length;
    const rows = await jsonRows(name);
    t.is(records, rows + 1, 'the reference parser agrees with the JSON');
    const folder = await tempFolder(t);
    for (const chunkBytes of CHUNK_SIZES) {
      const destination = path.join(folder, `copy-${chunkBytes}.csv`);
      const job = copyJob(path.join(spectrum, 'csvs', name), destination, { chunkBytes });
      const outcome = await copyOnce(job);
      const label = `chunks of ${chunkBytes} bytes`;
      const cursor = { offset: bytes.length, records };
      t.like(outcome, { kind: 'completed', cursor }, label);
      t.deepEqual(await readFile(destination), bytes, label);
      t.false(await exists(partPath(destination)), label);
    }
  });
}
