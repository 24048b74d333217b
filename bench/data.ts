// The bench's input CSVs, generated once into bench/data/ and reused while the
// size and seed match: a 1 GiB file takes a while to write, and every figure
// should come from the same bytes.
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSampleCsv } from '../src/sample-csv.js';
import * as format from './format.js';
import { remove, sha256OfFile } from './files.js';
import type { BenchOptions } from './options.js';
import { DATA_DIR } from './paths.js';

/** A generated input: where it is, its exact size, and its checksum on demand. */
export interface CsvInput {
  path: string;
  bytes: number;
  sha256(): Promise<string>;
}

// Changing any of these changes the bytes, so each is part of the file name.
const SEED = 1;
const LINE_ENDING = '\r\n';
const QUOTED_NEWLINE_EVERY = 1000;
const GiB = 1 << 30;

/** Makes each input at most once per run, only when a scenario asks for it. */
export class BenchInputs {
  private readonly made = new Map<string, Promise<CsvInput>>();

  constructor(private readonly options: BenchOptions) {}

  /** The base CSV every throughput, pause and resume figure copies. */
  base(): Promise<CsvInput> {
    return this.once('base', () => ensureSample(this.options.bytes));
  }

  /** The small CSV the scale scenario hard-links under many names. */
  small(): Promise<CsvInput> {
    return this.once('small', () => ensureSample(this.options.smallBytes));
  }

  /** The base concatenated ten times, for the memory scenario. */
  tenfold(): Promise<CsvInput> {
    return this.once('tenfold', async () => ensureRepeated(await this.base(), 10));
  }

  /**
   * A source of at least 1 GiB, so one copy outlasts a few hundred requests
   * even at page-cache speed: the base in a full run, the tenfold one in --quick.
   */
  async long(): Promise<CsvInput> {
    const base = await this.base();
    return base.bytes >= GiB ? base : this.tenfold();
  }

  private once(key: string, make: () => Promise<CsvInput>): Promise<CsvInput> {
    let input = this.made.get(key);
    if (!input) {
      input = make();
      this.made.set(key, input);
    }
    return input;
  }
}

/** The project's sample CSV of about `bytes` bytes, generated if missing. */
async function ensureSample(bytes: number): Promise<CsvInput> {
  const name = `sample-${bytes}-seed${SEED}-crlf-q${QUOTED_NEWLINE_EVERY}.csv`;
  const path = join(DATA_DIR, name);
  if (!(await exists(path))) {
    console.log(`generating ${name} (${format.size(bytes)})...`);
    const started = performance.now();
    // writeSampleCsv writes a temporary file and renames it, so a file under the
    // final name is always whole and can be trusted without checking it.
    await writeSampleCsv(path, {
      bytes,
      seed: SEED,
      lineEnding: LINE_ENDING,
      quotedNewlineEvery: QUOTED_NEWLINE_EVERY,
    });
    console.log(`  done in ${format.seconds((performance.now() - started) / 1000)}`);
  }
  return describe(path);
}

/** `base` repeated `times` times, streamed into a temporary file and renamed. */
async function ensureRepeated(base: CsvInput, times: number): Promise<CsvInput> {
  const path = base.path.replace(/\.csv$/, `-x${times}.csv`);
  const wanted = base.bytes * times;
  const found = await stat(path).catch(() => null);
  if (found?.size === wanted) return describe(path);

  console.log(`building ${format.size(wanted)} from ${times} copies of the base CSV...`);
  const started = performance.now();
  const part = `${path}.part-${process.pid}`;
  try {
    const out = await open(part, 'wx');
    try {
      for (let copy = 0; copy < times; copy += 1) {
        const input = createReadStream(base.path, { highWaterMark: 1 << 20 });
        // writeFile on a handle writes the whole chunk at the current position.
        for await (const chunk of input) await out.writeFile(chunk as Buffer);
      }
    } finally {
      await out.close();
    }
    await rename(part, path);
  } finally {
    await remove(part);
  }
  console.log(`  done in ${format.seconds((performance.now() - started) / 1000)}`);
  return describe(path);
}

async function describe(path: string): Promise<CsvInput> {
  const { size } = await stat(path);
  let sha256: Promise<string> | null = null;
  return {
    path,
    bytes: size,
    sha256: () => (sha256 ??= cachedSha256(path)),
  };
}

/**
 * The file's SHA-256, kept in a side file next to it; the side file names the
 * size and mtime it was computed for, so a regenerated file is hashed again.
 */
async function cachedSha256(path: string): Promise<string> {
  const { size, mtimeMs } = await stat(path);
  const sidecar = `${path}.sha256.json`;
  const kept = await readFile(sidecar, 'utf8')
    .then((text) => JSON.parse(text) as { size: number; mtimeMs: number; sha256: string })
    .catch(() => null);
  if (kept && kept.size === size && kept.mtimeMs === mtimeMs) return kept.sha256;

  const sha256 = await sha256OfFile(path);
  const temporary = `${sidecar}.${process.pid}`;
  await writeFile(temporary, JSON.stringify({ size, mtimeMs, sha256 }));
  await rename(temporary, sidecar);
  return sha256;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Makes sure bench/data/ exists before anything is written there. */
export async function ensureDataDir(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
}
