// Profiles the copier where it really runs, in a worker thread, and says where
// its time goes: `node --cpu-prof` writes one profile per thread, and this script
// sums the worker's samples by function.
//
//   node dist/bench/profile-copier.js <source.csv> [--checksum sha256|off] [--out file.md]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CopyJob } from '../workers/copy-protocol.js';
import { copyRecords } from '../workers/copy-records.js';

interface ProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

const SELF = new URL(import.meta.url);

if (!isMainThread) {
  await copyInThisThread(workerData as CopyJob);
} else if (process.argv.includes('--child')) {
  await runWorker(process.argv[process.argv.indexOf('--child') + 1]!, process.argv);
} else {
  profile();
}

/** Re-runs this script under --cpu-prof and summarises the worker's profile. */
function profile(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      checksum: { type: 'string', default: 'sha256' },
      out: { type: 'string' },
    },
  });
  const source = positionals[0];
  if (!source)
    throw new Error('usage: profile-copier <source.csv> [--checksum sha256|off]');
  const folder = mkdtempSync(join(tmpdir(), 'copier-profile-'));
  const args = [
    '--cpu-prof',
    `--cpu-prof-dir=${folder}`,
    SELF.pathname,
    '--child',
    source,
  ];
  const child = spawnSync(process.execPath, [...args, values.checksum], {
    stdio: 'inherit',
  });
  if (child.status !== 0)
    throw new Error(`the profiled copy exited with ${child.status}`);
  // Thread 0 is the main thread; the copier's profile is the other one.
  const file = readdirSync(folder).find((name) => !/\.0\.\d+\.cpuprofile$/.test(name));
  if (!file) throw new Error('no worker profile was written');
  const summary = summarise(
    JSON.parse(readFileSync(join(folder, file), 'utf8')) as CpuProfile,
  );
  rmSync(folder, { recursive: true, force: true });
  const title =
    `Where the copier's time goes (${values.checksum}, ${basename(source)}, ` +
    `${(statSync(source).size / 1e6).toFixed(0)} MB)`;
  const text = `### ${title}\n\n${summary}\n`;
  console.log(text);
  if (values.out) writeFileSync(values.out, text);
}

async function runWorker(source: string, argv: string[]): Promise<void> {
  const checksum = argv.at(-1) === 'sha256';
  const destination = join(dirname(source), `profile-${process.pid}.csv`);
  const job: CopyJob = {
    id: 'profile',
    source,
    destination,
    cursor: { offset: 0, records: 0 },
    expectedSource: null,
    delimiter: ',',
    chunkBytes: 1 << 20,
    maxRecordBytes: 64 << 20,
    rateLimit: 0,
    checksum,
  };
  const worker = new Worker(SELF, { workerData: job });
  const [seconds] = (await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  })) as [number];
  await new Promise((resolve) => worker.once('exit', resolve));
  rmSync(destination, { force: true });
  console.log(`copied at ${(statSync(source).size / 1e6 / seconds).toFixed(0)} MB/s`);
}

async function copyInThisThread(job: CopyJob): Promise<void> {
  const hash = job.checksum ? createHash('sha256') : null;
  const started = performance.now();
  const outcome = await copyRecords(job, {
    checksum: hash,
    stopRequested: () => null,
    stopping: new Promise(() => {}),
    progress: () => {},
  });
  if (outcome.kind !== 'completed') throw new Error(`the copy ended ${outcome.kind}`);
  parentPort?.postMessage([(performance.now() - started) / 1000]);
}

/** The functions with the most self time, as a Markdown table. */
function summarise(profile: CpuProfile): string {
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${basename(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  const rows = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, hits]) => `| ${name} | ${((100 * hits) / total).toFixed(1)}% |`);
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  return [
    `Worker thread, ${seconds.toFixed(2)} s profiled, ${total} samples.`,
    '',
    '| function (self time) | share |',
    '|---|---|',
    ...rows,
  ].join('\n');
}
