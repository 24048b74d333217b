import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

type LineEnding = '\n' | '\r\n';

interface SampleCsvOptions {
  bytes: number;
  seed?: number;
  lineEnding?: LineEnding;
  quotedNewlineEvery?: number;
}

type Settings = Required<SampleCsvOptions>;

const HEADER = 'id,name,city,comment,amount,created_at';

// Batches of a few MiB keep write calls few without holding the file in memory.
const BATCH_BYTES = 8 * 1024 * 1024;

// Plain fields outnumber awkward ones so most records look ordinary, yet every
// awkward kind still turns up within a few hundred records.
const NAMES = [
  'Alice Martin',
  'Bob Stone',
  'Chen Wei',
  'Dana Ortiz',
  'Erik Lund',
  'Zoë Dubois',
  'Jürgen Müller',
  'José Álvarez',
  '"Smith, John"',
  '"Bob ""The Builder"" Jones"',
];
const CITIES = [
  'Paris',
  'Berlin',
  'Lisbon',
  'Oslo',
  'Austin',
  'Zürich',
  'São Paulo',
  '東京',
  '"Portland, OR"',
  '"Washington, D.C."',
];
const COMMENTS = [
  'ok',
  'delivered',
  'pending review',
  'paid in full',
  'no issues',
  '12" pipe',
  'a 3" gap',
  'café crème ☕',
  'ships fast 🚚',
  'großartig 👍',
  '"late, but complete"',
  '"she said ""fine"" and left"',
  '"size 5"", red, boxed"',
];
// Comments for every `quotedNewlineEvery`-th record; {eol} becomes the file's
// own line ending so a CRLF file has no bare LF anywhere.
const MULTILINE_COMMENTS = [
  '"first line{eol}second line"',
  '"note:{eol}""quoted, too"" — 東京"',
];

// Room for the ASCII fields of one record: id and amount digits, dot, commas.
const NUMBER_FIELDS_BYTES = 64;

/** Writes a seeded sample CSV of about `bytes` bytes to `path`, atomically. */
export async function writeSampleCsv(
  path: string,
  options: SampleCsvOptions,
): Promise<{ bytes: number; records: number }> {
  const settings = checkOptions(options);
  await mkdir(dirname(path), { recursive: true });
  const partPath = `${path}.part-${randomBytes(6).toString('hex')}`;
  // 'wx' refuses to reuse a file that happens to have the same name, so the
  // cleanup below only ever removes a file this call created.
  const file = await open(partPath, 'wx');
  try {
    const result = await writeRecords(file, settings);
    await rename(partPath, path);
    return result;
  } catch (error) {
    // A failed cleanup must not hide the error that actually stopped the write.
    await rm(partPath, { force: true }).catch(() => undefined);
    throw error;
  }
}

function checkOptions(options: SampleCsvOptions): Settings {
  const { bytes, seed = 1, lineEnding = '\n', quotedNewlineEvery = 1000 } = options;
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new RangeError(`bytes must be a non-negative number, got ${bytes}`);
  }
  if (!Number.isSafeInteger(quotedNewlineEvery) || quotedNewlineEvery < 1) {
    throw new RangeError(
      `quotedNewlineEvery must be a positive integer, got ${quotedNewlineEvery}`,
    );
  }
  if (lineEnding !== '\n' && lineEnding !== '\r\n') {
    throw new RangeError('lineEnding must be "\\n" or "\\r\\n"');
  }
  return { bytes, seed, lineEnding, quotedNewlineEvery };
}

/** Writes the header and records in batches, then closes `file` whatever happens. */
async function writeRecords(
  file: FileHandle,
  settings: Settings,
): Promise<{ bytes: number; records: number }> {
  try {
    const source = new RecordSource(settings);
    const batch = Buffer.allocUnsafe(BATCH_BYTES + source.longestRecordBytes);
    // The header opens the first batch, so it counts towards the size too.
    let used = batch.write(HEADER + settings.lineEnding);
    let written = 0;
    do {
      const target = Math.min(BATCH_BYTES, settings.bytes - written);
      used = source.fillBatch(batch, used, target);
      await writeAll(file, batch.subarray(0, used));
      written += used;
      used = 0;
    } while (written < settings.bytes);
    // Without this a crash soon after the rename could leave the final name
    // pointing at data that never reached the disk.
    await file.datasync();
    return { bytes: written, records: source.records };
  } finally {
    await file.close();
  }
}

/** Writes all of `data`, looping because a single write may be partial. */
async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Puts records straight into a byte batch from a seeded PRNG, so one seed always
 * gives the same file. Fields are encoded once up front: building a string per
 * record made the garbage collector, not the disk, the bottleneck.
 */
class RecordSource {
  /** An upper bound for one record, so a batch can always fit one more. */
  readonly longestRecordBytes: number;
  private nextId = 1;
  private readonly random: () => number;
  // name, city and comment are joined up front as ",name,city,comment,".
  private readonly textFields: Buffer[];
  private readonly multilineTextFields: Buffer[];
  // Formatting a date per record is slow; a seeded pool of ",date<eol>" is
  // just as useful for sample data.
  private readonly dateFields: Buffer[];

  constructor(private readonly settings: Settings) {
    this.random = mulberry32(settings.seed);
    const multiline = MULTILINE_COMMENTS.map((comment) =>
      comment.replaceAll('{eol}', settings.lineEnding),
    );
    this.textFields = joinTextFields(COMMENTS);
    this.multilineTextFields = joinTextFields(multiline);
    this.dateFields = Array.from({ length: 4096 }, () =>
      Buffer.from(`,${this.randomDate()}${settings.lineEnding}`),
    );
    this.longestRecordBytes =
      NUMBER_FIELDS_BYTES +
      longest(this.textFields.concat(this.multilineTextFields)) +
      longest(this.dateFields);
  }

  /** How many records have been put so far. */
  get records(): number {
    return this.nextId - 1;
  }

  /** Puts records into `batch` from `offset` up to `target`; returns where they end. */
  fillBatch(batch: Buffer, offset: number, target: number): number {
    let end = offset;
    while (end < target) end = this.putRecord(batch, end);
    return end;
  }

  private putRecord(batch: Buffer, offset: number): number {
    const id = this.nextId;
    this.nextId += 1;
    const textFields =
      id % this.settings.quotedNewlineEvery === 0
        ? this.multilineTextFields
        : this.textFields;
    let end = putDigits(batch, offset, id);
    end = putBytes(batch, end, this.pick(textFields));
    end = putAmount(batch, end, Math.floor(this.random() * 10_000_000));
    return putBytes(batch, end, this.pick(this.dateFields));
  }

  private pick(fields: Buffer[]): Buffer {
    const field = fields[Math.floor(this.random() * fields.length)];
    if (field === undefined) throw new Error('cannot pick from an empty field list');
    return field;
  }

  private randomDate(): string {
    const start = Date.UTC(2020, 0, 1);
    const fiveYearsInSeconds = 5 * 365 * 24 * 3600;
    const seconds = Math.floor(this.random() * fiveYearsInSeconds);
    return new Date(start + seconds * 1000).toISOString().replace('.000Z', 'Z');
  }
}

/** Every name × city × comment, each as the bytes of ",name,city,comment,". */
function joinTextFields(comments: string[]): Buffer[] {
  return NAMES.flatMap((name) =>
    CITIES.flatMap((city) =>
      comments.map((comment) => Buffer.from(`,${name},${city},${comment},`)),
    ),
  );
}

function longest(fields: Buffer[]): number {
  return fields.reduce((most, field) => Math.max(most, field.length), 0);
}

function putBytes(batch: Buffer, offset: number, bytes: Buffer): number {
  batch.set(bytes, offset);
  return offset + bytes.length;
}

/** Writes a non-negative integer as ASCII digits, without making a string. */
function putDigits(batch: Buffer, offset: number, value: number): number {
  let digits = 1;
  for (let power = 10; power <= value; power *= 10) digits += 1;
  let rest = value;
  for (let at = offset + digits - 1; at >= offset; at -= 1) {
    batch[at] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return offset + digits;
}

/** Writes cents as "units.cc", e.g. 1234 as "12.34". */
function putAmount(batch: Buffer, offset: number, cents: number): number {
  const end = putDigits(batch, offset, Math.floor(cents / 100));
  batch[end] = 0x2e; // '.'
  batch[end + 1] = 0x30 + Math.floor((cents % 100) / 10);
  batch[end + 2] = 0x30 + (cents % 10);
  return end + 3;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG, plenty for sample data. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
