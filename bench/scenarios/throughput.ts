// Scenario 1: how fast a whole file copies, the service against cp, Node's
// pipeline and the naive readline copy, all on the same file in the same run.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { copyWithCp, copyWithReadline, PipelineProcess } from '../baselines.js';
import type { CsvInput } from '../data.js';
import { remove, sha256OfFile, sizeOf } from '../files.js';
import * as format from '../format.js';
import type { ScenarioContext, ScenarioOutput } from '../scenario.js';
import { ServiceProcess, type StartedService } from '../service-process.js';
import { uploadAndWait } from '../service-routes.js';
import { ratio, summarize, type Summary } from '../stats.js';

const FILE = 'dummy1.csv';

type Method = 'cp' | 'pipeline' | 'naive' | 'service' | 'serviceNoHash';

const LABELS: Record<Method, string> = {
  cp: 'cp',
  pipeline: 'Node stream.pipeline, 1 MiB',
  naive: 'naive readline, one write per line',
  service: 'service, CHECKSUM=sha256',
  serviceNoHash: 'service, CHECKSUM=off',
};

/** Whether the service's copy equals the source, checked once per setting. */
export interface CopyCheck {
  sizeMatches: boolean;
  sha256Matches: boolean;
  /** The SHA-256 the service reported, or null with the checksum off. */
  reportedSha256: string | null;
  /** Whether that reported SHA-256 is the source's; null when none was reported. */
  reportedMatches: boolean | null;
}

export interface ThroughputResults {
  bytes: number;
  methods: Record<Method, { mbPerSecond: Summary; milliseconds: number[] }>;
  ratios: {
    serviceOverCp: number;
    serviceOverPipeline: number;
    serviceOverNaive: number;
    noHashOverPipeline: number;
  };
  checks: { sha256: CopyCheck; off: CopyCheck };
}

/** One way of copying the file, and the file it writes. */
interface Copier {
  method: Method;
  destination: string;
  copy(): Promise<number>;
}

export async function throughput(
  context: ScenarioContext,
): Promise<ScenarioOutput<ThroughputResults>> {
  const { options } = context;
  const source = await context.inputs.base();
  const folder = await context.workspace.folder('throughput');
  const copies = join(folder, 'copies');
  await mkdir(copies);
  // Both servers start before any timing and idle while the other one copies.
  const withHash = await ServiceProcess.start(
    join(folder, 'sha256'),
    { [FILE]: source.path },
    { checksum: 'sha256' },
  );
  const noHash = await ServiceProcess.start(
    join(folder, 'off'),
    { [FILE]: source.path },
    { checksum: 'off' },
  ).catch(async (error: unknown) => {
    await withHash.stop();
    throw error;
  });

  const times = new Map<Method, number[]>();
  const checks: Partial<ThroughputResults['checks']> = {};
  let pipeline: PipelineProcess | null = null;
  try {
    pipeline = await PipelineProcess.start();
    const inChild = pipeline.copy.bind(pipeline);
    const copiers: Copier[] = [
      fileCopier('cp', join(copies, 'cp.csv'), copyWithCp, source),
      fileCopier('pipeline', join(copies, 'pipeline.csv'), inChild, source),
      serviceCopier('service', withHash, source, (check) => (checks.sha256 = check)),
      serviceCopier('serviceNoHash', noHash, source, (check) => (checks.off = check)),
    ];
    await timeRounds(copiers, options.runs, times);
    // The naive copy is by far the slowest, so it runs fewer times and unwarmed.
    const naiveCopy = join(copies, 'naive.csv');
    const naive = fileCopier('naive', naiveCopy, copyWithReadline, source);
    await timeRuns(naive, options.naiveRuns, times);
  } finally {
    await Promise.all([withHash.stop(), noHash.stop(), pipeline?.stop()]);
    await remove(folder);
  }
  const results = summarizeRuns(source.bytes, times, checks);
  return {
    name: 'throughput',
    title: `Throughput: copying ${format.size(source.bytes)} to a new file`,
    tables: tablesOf(results, options.runs, options.naiveRuns),
    notes: notesOf(options.runs, options.naiveRuns),
    findings: [...findingsOf(results.checks), ...withHash.problems, ...noHash.problems],
    results,
  };
}

// Round-robin: each round runs every method once, so a slow spell on the shared
// machine touches all of them alike; round 0 is the warm-up.
async function timeRounds(copiers: Copier[], runs: number, times: Map<Method, number[]>) {
  for (let round = 0; round <= runs; round += 1) {
    for (const copier of copiers) {
      const ms = await copier.copy();
      await remove(copier.destination);
      if (round > 0) record(times, copier.method, ms);
    }
    console.log(`  round ${round}${round === 0 ? ' (warm-up)' : ''} done`);
  }
}

async function timeRuns(copier: Copier, runs: number, times: Map<Method, number[]>) {
  for (let run = 0; run < runs; run += 1) {
    record(times, copier.method, await copier.copy());
    await remove(copier.destination);
  }
}

function fileCopier(
  method: Method,
  destination: string,
  copy: (source: string, destination: string) => Promise<number>,
  source: CsvInput,
): Copier {
  return { method, destination, copy: () => copy(source.path, destination) };
}

// The timing runs from the request to the reply; the copy is checked after
// the warm-up, outside the timing.
function serviceCopier(
  method: Method,
  service: StartedService,
  source: CsvInput,
  keep: (check: CopyCheck) => void,
): Copier {
  const destination = service.uploaded(FILE);
  let checked = false;
  const copy = async () => {
    const started = performance.now();
    const transfer = await uploadAndWait(service.url, FILE);
    const ms = performance.now() - started;
    if (!checked) keep(await checkCopy(source, destination, transfer.sha256));
    checked = true;
    return ms;
  };
  return { method, destination, copy };
}

async function checkCopy(
  source: CsvInput,
  destination: string,
  reportedSha256: string | null,
): Promise<CopyCheck> {
  const [expected, size, actual] = await Promise.all([
    source.sha256(),
    sizeOf(destination),
    sha256OfFile(destination),
  ]);
  return {
    sizeMatches: size === source.bytes,
    sha256Matches: actual === expected,
    reportedSha256,
    reportedMatches: reportedSha256 === null ? null : reportedSha256 === expected,
  };
}

function record(times: Map<Method, number[]>, method: Method, ms: number): void {
  const list = times.get(method) ?? [];
  list.push(ms);
  times.set(method, list);
}

function summarizeRuns(
  bytes: number,
  times: Map<Method, number[]>,
  checks: Partial<ThroughputResults['checks']>,
): ThroughputResults {
  const figures = (method: Method) => {
    const milliseconds = times.get(method) ?? [];
    const rates = milliseconds.map((ms) => bytes / 1e6 / (ms / 1000));
    return { mbPerSecond: summarize(rates), milliseconds };
  };
  const methods = {
    cp: figures('cp'),
    pipeline: figures('pipeline'),
    naive: figures('naive'),
    service: figures('service'),
    serviceNoHash: figures('serviceNoHash'),
  };
  const median = (method: Method) => methods[method].mbPerSecond.median;
  const missing: CopyCheck = {
    sizeMatches: false,
    sha256Matches: false,
    reportedSha256: null,
    reportedMatches: null,
  };
  return {
    bytes,
    methods,
    ratios: {
      serviceOverCp: ratio(median('service'), median('cp')),
      serviceOverPipeline: ratio(median('service'), median('pipeline')),
      serviceOverNaive: ratio(median('service'), median('naive')),
      noHashOverPipeline: ratio(median('serviceNoHash'), median('pipeline')),
    },
    checks: { sha256: checks.sha256 ?? missing, off: checks.off ?? missing },
  };
}

function tablesOf(results: ThroughputResults, runs: number, naiveRuns: number) {
  const cp = results.methods.cp.mbPerSecond.median;
  const methods = Object.keys(LABELS) as Method[];
  const rows = methods.map((method) => {
    const { mbPerSecond } = results.methods[method];
    return [
      LABELS[method],
      String(method === 'naive' ? naiveRuns : runs),
      format.mbPerSecond(mbPerSecond.median),
      format.mbPerSecond(mbPerSecond.min),
      format.mbPerSecond(mbPerSecond.max),
      format.times(ratio(mbPerSecond.median, cp)),
    ];
  });
  const { ratios, checks } = results;
  return [
    { headers: ['method', 'runs', 'MB/s median', 'min', 'max', '÷ cp'], rows },
    {
      caption:
        'Ratios of the medians, and the service copies checked against ' + 'the source:',
      headers: ['comparison', 'ratio'],
      rows: [
        ['service (sha256) / cp', format.times(ratios.serviceOverCp)],
        ['service (sha256) / pipeline', format.times(ratios.serviceOverPipeline)],
        ['service (sha256) / naive', format.times(ratios.serviceOverNaive)],
        ['service (no hash) / pipeline', format.times(ratios.noHashOverPipeline)],
        ['byte-identical, CHECKSUM=sha256', identical(checks.sha256)],
        ['byte-identical, CHECKSUM=off', identical(checks.off)],
      ],
    },
  ];
}

function identical(check: CopyCheck): string {
  return check.sizeMatches && check.sha256Matches ? 'yes (size and sha256)' : 'NO';
}

function notesOf(runs: number, naiveRuns: number): string[] {
  return [
    `${runs} runs after 1 warm-up, round-robin: each round runs every method once.`,
    `The naive copy ran ${naiveRuns} times without a warm-up, being the slowest; ` +
      'it writes LF for CRLF, so its output is not byte-identical.',
    'Service: from sending POST /upload to its 200 reply; servers started outside ' +
      'the timing. Every copy writes a new file, deleted before the next run.',
    'stream.pipeline runs in a Node process of its own, timed there, with ' +
      'MALLOC_MMAP_THRESHOLD_ set so that its read buffers come from the heap: ' +
      'from mmap they sit 16 bytes past a page boundary and reads run at half speed.',
  ];
}

function findingsOf(checks: ThroughputResults['checks']): string[] {
  const findings: string[] = [];
  for (const [setting, check] of Object.entries(checks)) {
    if (!check.sizeMatches || !check.sha256Matches) {
      findings.push(`CHECKSUM=${setting}: the uploaded copy differs from the source`);
    }
    if (check.reportedMatches === false) {
      findings.push(`CHECKSUM=${setting}: the reported sha256 is not the source's`);
    }
    if (setting === 'sha256' && check.reportedSha256 === null) {
      findings.push('CHECKSUM=sha256: the completed transfer reports no sha256');
    }
  }
  return findings;
}
