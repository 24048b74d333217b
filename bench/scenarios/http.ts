// Scenario 4: how fast GET /status answers on an idle server and while 1, 4 and
// 16 uploads copy at full speed in the worker threads.
import { setTimeout as delay } from 'node:timers/promises';
import * as format from '../format.js';
import { expectStatus, send } from '../http-client.js';
import type { ScenarioContext, ScenarioOutput } from '../scenario.js';
import { ServiceProcess, type StartedService } from '../service-process.js';
import { listTransfers, startUpload } from '../service-routes.js';
import { ratio, summarize, type Summary } from '../stats.js';
import { remove, sizeOf } from '../files.js';

// Unmeasured requests at the start of each round, once the copies run.
const WARM_UP_REQUESTS = 20;
const START_TIMEOUT_MS = 10_000;

/** GET /status latency at one load: per-round p50 and p99, and every sample. */
export interface LoadLevel {
  uploads: number;
  p50: Summary;
  p99: Summary;
  latencyMs: Summary;
  /** Uploads still running when each round's last request was answered. */
  stillRunning: number[];
  /** The median p99 against the idle median p99. */
  p99OverIdle: number;
}

export interface HttpResults {
  requestsPerRound: number;
  rounds: number;
  sourceBytes: number;
  levels: LoadLevel[];
}

export async function http(
  context: ScenarioContext,
): Promise<ScenarioOutput<HttpResults>> {
  const { options } = context;
  const source = await context.inputs.long();
  const most = Math.max(...options.uploadLevels);
  const names = Array.from({ length: most }, (_, index) => `upload-${index + 1}.csv`);
  const folder = await context.workspace.folder('http');
  // COPIES_PER_THREAD=16 so that every one of the 16 uploads runs, none queued.
  const service = await ServiceProcess.start(
    folder,
    Object.fromEntries(names.map((name) => [name, source.path])),
    { copiesPerThread: 16 },
  );
  const levels: LoadLevel[] = [];
  try {
    for (const uploads of [0, ...options.uploadLevels]) {
      const rounds = await measureRounds(service, names.slice(0, uploads), context);
      levels.push(rounds);
      console.log(`  ${uploads} uploads: p99 ${format.ms(rounds.p99.median)}`);
    }
  } finally {
    await service.stop();
    await remove(folder);
  }
  const idleP99 = levels[0]?.p99.median ?? Number.NaN;
  for (const level of levels) level.p99OverIdle = ratio(level.p99.median, idleP99);
  const results = {
    requestsPerRound: options.statusRequests,
    rounds: options.runs,
    sourceBytes: source.bytes,
    levels,
  };
  return {
    name: 'http',
    title: 'GET /status latency while uploads run',
    tables: [tableOf(levels)],
    notes: [
      `${options.runs} rounds per load after 1 warm-up round; each round sends ` +
        `${WARM_UP_REQUESTS} unmeasured then ${options.statusRequests} timed ` +
        'sequential requests over a kept-alive connection. p50 and p99 are per ' +
        'round; the table gives the median round, and min–max of the rounds for p99.',
      `Uploads of ${format.size(source.bytes)} started with Prefer: respond-async, ` +
        'measured once each has written, terminated after the round.',
    ],
    findings: [...findingsOf(levels), ...service.problems],
    results,
  };
}

async function measureRounds(
  service: StartedService,
  files: string[],
  context: ScenarioContext,
): Promise<LoadLevel> {
  const { runs, statusRequests } = context.options;
  const p50: number[] = [];
  const p99: number[] = [];
  const all: number[] = [];
  const stillRunning: number[] = [];
  for (let round = 0; round <= runs; round += 1) {
    const ids = await startAll(service, files);
    try {
      await timeStatus(service.url, WARM_UP_REQUESTS);
      const latencies = await timeStatus(service.url, statusRequests);
      const running = files.length > 0 ? await countRunning(service.url) : 0;
      if (round === 0) continue;
      const summary = summarize(latencies);
      p50.push(summary.median);
      p99.push(summary.p99);
      all.push(...latencies);
      stillRunning.push(running);
    } finally {
      await terminateAll(service, ids, files);
    }
  }
  return {
    uploads: files.length,
    p50: summarize(p50),
    p99: summarize(p99),
    latencyMs: summarize(all),
    stillRunning,
    p99OverIdle: Number.NaN,
  };
}

/** Starts every upload and waits until each has written its first bytes. */
async function startAll(service: StartedService, files: string[]): Promise<string[]> {
  const ids = await Promise.all(files.map((file) => startUpload(service.url, file)));
  const started = performance.now();
  for (;;) {
    const sizes = await Promise.all(files.map((file) => sizeOf(service.partial(file))));
    if (sizes.every((size) => size > 0)) return ids;
    await delay(1);
    if (performance.now() - started > START_TIMEOUT_MS) {
      throw new Error(`the uploads wrote nothing within ${START_TIMEOUT_MS} ms`);
    }
  }
}

async function countRunning(url: string): Promise<number> {
  return (await listTransfers(url, 'running')).length;
}

/** `count` sequential GET /status, each timed from send to the reply's end. */
async function timeStatus(url: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let request = 0; request < count; request += 1) {
    const started = performance.now();
    const reply = await send('GET', `${url}/status`);
    latencies.push(performance.now() - started);
    expectStatus(reply, 200, 'GET /status');
  }
  return latencies;
}

// A terminate can find the copy already completed (409); either way the files go.
async function terminateAll(service: StartedService, ids: string[], files: string[]) {
  await Promise.all(
    ids.map(async (id) => {
      const reply = await send('POST', `${service.url}/api/transfers/${id}/terminate`);
      if (reply.status !== 409) expectStatus(reply, 200, `terminate of ${id}`);
    }),
  );
  await Promise.all(files.map((file) => remove(service.uploaded(file))));
}

function tableOf(levels: LoadLevel[]) {
  return {
    headers: [
      'uploads running',
      'requests',
      'p50',
      'p99',
      'p99 min–max',
      'p99 ÷ idle p99',
    ],
    rows: levels.map((level) => [
      level.uploads === 0 ? 'idle' : String(level.uploads),
      String(level.latencyMs.n),
      format.ms(level.p50.median),
      format.ms(level.p99.median),
      `${format.ms(level.p99.min)}–${format.ms(level.p99.max)}`,
      format.times(level.p99OverIdle),
    ]),
  };
}

function findingsOf(levels: LoadLevel[]): string[] {
  return levels.flatMap((level) => {
    const short = level.stillRunning.filter((running) => running < level.uploads);
    if (short.length === 0) return [];
    return [
      `with ${level.uploads} uploads, ${short.length} rounds ended with fewer still ` +
        `running (${short.join(', ')}): the source is too small to outlast the requests`,
    ];
  });
}
