// Scenario 5: the service's resident memory while it uploads a file ten times
// the base size: a copy must stream, so the peak should not follow the file.
import { setTimeout as delay } from 'node:timers/promises';
import type { CsvInput } from '../data.js';
import { remove, sizeOf } from '../files.js';
import * as format from '../format.js';
import { ProcSampler, readProcStatus } from '../proc-status.js';
import type { ScenarioContext, ScenarioOutput } from '../scenario.js';
import { ServiceProcess } from '../service-process.js';
import { uploadAndWait } from '../service-routes.js';
import { summarize, type Summary } from '../stats.js';

const FILE = 'tenfold.csv';
// Start-up allocations settle before the idle figure is read.
const SETTLE_MS = 500;
const SAMPLE_EVERY_MS = 50;

/** One upload of the big file on a fresh server. */
export interface MemoryRun {
  idleRssBytes: number;
  /** VmHWM after the copy: the peak over the server's whole life. */
  peakRssBytes: number;
  /** The highest VmRSS seen by sampling every 50 ms during the copy. */
  sampledPeakRssBytes: number;
  rssSamples: number[];
  mbPerSecond: number;
  copyMatches: boolean;
}

export interface MemoryResults {
  bytes: number;
  idleRss: Summary;
  peakRss: Summary;
  sampledPeakRss: Summary;
  mbPerSecond: Summary;
  runs: MemoryRun[];
}

export async function memory(
  context: ScenarioContext,
): Promise<ScenarioOutput<MemoryResults>> {
  const { options } = context;
  const source = await context.inputs.tenfold();
  const runs: MemoryRun[] = [];
  const problems: string[] = [];
  // Run 0 is the warm-up; every run has its own server, so VmHWM is that run's.
  for (let run = 0; run <= options.memoryRuns; run += 1) {
    const measured = await uploadOnFreshServer(context, source, run, problems);
    if (run > 0) runs.push(measured);
    console.log(`  run ${run}: peak ${format.megabytes(measured.peakRssBytes)}`);
  }
  const results = {
    bytes: source.bytes,
    idleRss: summarize(runs.map((run) => run.idleRssBytes)),
    peakRss: summarize(runs.map((run) => run.peakRssBytes)),
    sampledPeakRss: summarize(runs.map((run) => run.sampledPeakRssBytes)),
    mbPerSecond: summarize(runs.map((run) => run.mbPerSecond)),
    runs,
  };
  const mismatched = runs.filter((run) => !run.copyMatches).length;
  return {
    name: 'memory',
    title: `Memory while uploading ${format.size(source.bytes)} (10× the base file)`,
    tables: [tableOf(results)],
    notes: [
      `${options.memoryRuns} runs after 1 warm-up, each on a fresh server ` +
        '(CHECKSUM=sha256). Idle: VmRSS before the upload; peak: VmHWM after it; ' +
        `sampled: the highest VmRSS read every ${SAMPLE_EVERY_MS} ms during it.`,
    ],
    findings: [
      ...(mismatched > 0
        ? [`${mismatched} memory runs' copies were not the source (size or sha256)`]
        : []),
      ...problems,
    ],
    results,
  };
}

async function uploadOnFreshServer(
  context: ScenarioContext,
  source: CsvInput,
  run: number,
  problems: string[],
): Promise<MemoryRun> {
  const folder = await context.workspace.folder(`memory-${run}`);
  const service = await ServiceProcess.start(folder, { [FILE]: source.path });
  try {
    await delay(SETTLE_MS);
    const idle = await readProcStatus(service.pid);
    const sampler = new ProcSampler(service.pid, SAMPLE_EVERY_MS).start();
    const started = performance.now();
    const transfer = await uploadAndWait(service.url, FILE);
    const seconds = (performance.now() - started) / 1000;
    const samples = await sampler.stop();
    const after = await readProcStatus(service.pid);
    // The reported SHA-256 costs nothing to check; hashing 10× the file would.
    const copyMatches =
      (await sizeOf(service.uploaded(FILE))) === source.bytes &&
      transfer.sha256 === (await source.sha256());
    const rssSamples = samples.map((sample) => sample.rssBytes);
    return {
      idleRssBytes: idle.rssBytes,
      peakRssBytes: after.peakRssBytes,
      sampledPeakRssBytes: Math.max(...rssSamples, after.rssBytes),
      rssSamples,
      mbPerSecond: source.bytes / 1e6 / seconds,
      copyMatches,
    };
  } finally {
    await service.stop();
    problems.push(...service.problems);
    // Deleting the 10× copy right away also drops its unwritten pages.
    await remove(folder);
  }
}

function tableOf(results: MemoryResults) {
  const row = (label: string, figure: Summary, show: (value: number) => string) => [
    label,
    show(figure.median),
    show(figure.min),
    show(figure.max),
  ];
  return {
    headers: ['figure', 'median', 'min', 'max'],
    rows: [
      row('idle RSS', results.idleRss, format.megabytes),
      row('peak RSS (VmHWM)', results.peakRss, format.megabytes),
      row('peak sampled VmRSS', results.sampledPeakRss, format.megabytes),
      row('copy MB/s', results.mbPerSecond, format.mbPerSecond),
    ],
  };
}
