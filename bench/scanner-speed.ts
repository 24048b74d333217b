// Micro-benchmark of the record scanners: RecordScanner (native indexOf per quote
// and line end) against SimdRecordScanner (WebAssembly SIMD), side by side.
//
//   npm run build && node dist/bench/scanner-speed.js [path]
//
// Reads the file (default: a 256 MiB sample CSV with CRLF endings, generated
// once into the temporary folder) into memory, then scans it the way the copier
// does: 1 MiB chunks, a new scanner per chunk starting at the last boundary, and
// the same scanner carried on over a growing window for a record longer than a
// chunk. Prints MB/s (10^6 bytes per second), the median of 5 runs each, with
// the runs of the two scanners interleaved so that other load on the machine
// hits both alike.

import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeSampleCsv } from '../src/sample-csv.js';
import { RecordScanner, type ScanResult } from '../workers/record-scanner.js';
import { SimdRecordScanner } from '../workers/simd-record-scanner.js';

const SAMPLE_BYTES = 256 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
const RUNS = 5;
const DELIMITER = 0x2c;

interface Scanner {
  scan(bytes: Uint8Array, from: number, end: number): ScanResult;
}

interface Contender {
  name: string;
  make: () => Scanner;
  speeds: number[];
}

/** What one pass over the file found: to check the scanners agree. */
interface Pass {
  records: number;
  lastBoundary: number;
  checksum: number;
}

async function samplePath(): Promise<string> {
  const given = process.argv[2];
  if (given) return given;
  const file = path.join(tmpdir(), 'scanner-speed-sample-256MiB.csv');
  const existing = await stat(file).catch(() => null);
  if (existing === null || existing.size < SAMPLE_BYTES) {
    console.log(`generating ${file} ...`);
    await writeSampleCsv(file, {
      bytes: SAMPLE_BYTES,
      lineEnding: '\r\n',
      quotedNewlineEvery: 1000,
    });
  }
  return file;
}

/** Scans all of `data` in chunks as the copier does. */
function pass(data: Buffer, make: () => Scanner): Pass {
  let scanned = 0;
  let records = 0;
  let checksum = 0;
  while (scanned < data.length) {
    const scanner = make();
    let end = Math.min(scanned + CHUNK_BYTES, data.length);
    let found = scanner.scan(data.subarray(scanned, end), 0, end - scanned);
    // A record longer than a chunk: carry on over a larger window.
    while (found.records === 0 && end < data.length) {
      const next = Math.min(end + CHUNK_BYTES, data.length);
      found = scanner.scan(data.subarray(scanned, next), end - scanned, next - scanned);
      end = next;
    }
    if (found.records === 0) break; // the last record has no line ending
    records += found.records;
    scanned += found.boundary;
    checksum = (checksum * 31 + found.boundary) % 1_000_000_007;
  }
  return { records, lastBoundary: scanned, checksum };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const file = await samplePath();
const data = await readFile(file);
const megabytes = data.length / 1e6;
console.log(
  `${file}: ${megabytes.toFixed(1)} MB, ${CHUNK_BYTES / 1024} KiB chunks, median of ${RUNS} runs`,
);

const contenders: Contender[] = [
  { name: 'RecordScanner', make: () => new RecordScanner(DELIMITER), speeds: [] },
  { name: 'SimdRecordScanner', make: () => new SimdRecordScanner(DELIMITER), speeds: [] },
];

// A warm-up pass each, which also checks that both find the same records.
const found = contenders.map((contender) => pass(data, contender.make));
const [expected, actual] = found;
if (JSON.stringify(expected) !== JSON.stringify(actual)) {
  console.error('the scanners disagree:', found);
  process.exit(1);
}
console.log(
  `both find ${expected?.records} records, ending at byte ${expected?.lastBoundary}`,
);

for (let run = 0; run < RUNS; run += 1) {
  for (const contender of contenders) {
    const started = performance.now();
    pass(data, contender.make);
    const seconds = (performance.now() - started) / 1000;
    contender.speeds.push(megabytes / seconds);
  }
}

const baseline = median(contenders[0]?.speeds ?? []);
for (const contender of contenders) {
  const speed = median(contender.speeds);
  const runs = contender.speeds.map((value) => value.toFixed(0)).join(', ');
  console.log(
    `${contender.name.padEnd(18)} ${speed.toFixed(0).padStart(6)} MB/s` +
      `  x${(speed / baseline).toFixed(2)}  (runs: ${runs})`,
  );
}
