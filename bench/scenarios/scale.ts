// Scenario 6: a thousand paused transfers must not cost a thousand threads, and
// resuming them 32 at a time must keep the disk busy.
import { setTimeout as delay } from 'node:timers/promises';
import type { CsvInput } from '../data.js';
import { remove } from '../files.js';
import * as format from '../format.js';
import { mapLimit } from '../map-limit.js';
import { ProcSampler, readProcStatus, type ProcStatus } from '../proc-status.js';
import type { ScenarioContext, ScenarioOutput } from '../scenario.js';
import { ServiceProcess, type StartedService } from '../service-process.js';
import { expectStatus, jsonOf, send } from '../http-client.js';
import {
  createTransfer,
  listTransfers,
  moveTransfer,
  type TransferJson,
} from '../service-routes.js';
import { summarize, type Summary } from '../stats.js';

// 2 threads × 16 copies each: 32 copies run at once, the rest wait their turn.
const POOL_SIZE = 2;
const COPIES_PER_THREAD = 16;
const BATCH = POOL_SIZE * COPIES_PER_THREAD;
const REQUESTS_IN_FLIGHT = 16;
const POLL_MS = 2;
const SETTLE_MS = 300;

export interface ScaleResults {
  transfers: number;
  /** Transfers that completed before their pause: each is left out of the batches. */
  finishedBeforePause: number;
  fileBytes: number;
  /** Before any transfer. */
  idle: ProcStatus;
  /** With 32 long copies running: the pool at its full size. */
  poolFull: ProcStatus;
  /** After creating and pausing every transfer, with nothing running. */
  afterPausing: ProcStatus;
  /** Sampled every 50 ms while the batches ran. */
  batchThreads: Summary;
  batchRss: Summary;
  /** VmHWM at the end: the peak over the whole scenario. */
  peakRssBytes: number;
  /** Each batch's bytes over its wall time. */
  batchMbPerSecond: Summary;
  /** All the batches' bytes from the first resume to the last completion. */
  aggregateMbPerSecond: number;
  createAndPauseSeconds: number;
  completed: number;
  checksumsMatching: number;
}

export async function scale(
  context: ScenarioContext,
): Promise<ScenarioOutput<ScaleResults>> {
  const count = context.options.scaleTransfers;
  const small = await context.inputs.small();
  const blocker = await context.inputs.long();
  const names = numbered('transfer', count);
  const blockers = numbered('blocker', BATCH);
  const sources = Object.fromEntries([
    ...names.map((name) => [name, small.path]),
    ...blockers.map((name) => [name, blocker.path]),
  ]);
  const folder = await context.workspace.folder('scale');
  const service = await ServiceProcess.start(folder, sources, {
    poolSize: POOL_SIZE,
    copiesPerThread: COPIES_PER_THREAD,
  });
  let results: ScaleResults;
  try {
    results = await measureScale(service, small, names, blockers);
  } finally {
    await service.stop();
    await remove(folder);
  }
  return {
    name: 'scale',
    title:
      `Scale: ${count} transfers of ${format.size(small.bytes)}, ` +
      `paused, then resumed ${BATCH} at a time`,
    tables: tablesOf(results),
    notes: notesOf(results),
    findings: [...findingsOf(results), ...service.problems],
    results,
  };
}

/** transfer-0000.csv, transfer-0001.csv, …: one hard link each. */
function numbered(prefix: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, index) => `${prefix}-${String(index).padStart(4, '0')}.csv`,
  );
}

async function measureScale(
  service: StartedService,
  small: CsvInput,
  names: string[],
  blockers: string[],
): Promise<ScaleResults> {
  await delay(SETTLE_MS);
  const idle = await readProcStatus(service.pid);

  // Blockers fill every slot of the pool first, so each new transfer waits in
  // the queue and its pause always wins: a 2 MiB copy would often finish first.
  const blockerIds = await mapLimit(
    blockers,
    REQUESTS_IN_FLIGHT,
    async (name) => (await createTransfer(service.url, name)).id,
  );
  await delay(SETTLE_MS);
  const poolFull = await readProcStatus(service.pid);

  const started = performance.now();
  const created = await mapLimit(names, REQUESTS_IN_FLIGHT, (name) =>
    createPaused(service.url, name),
  );
  const ids = created.filter((id) => id !== null);
  const createAndPauseSeconds = (performance.now() - started) / 1000;
  await mapLimit(blockerIds, REQUESTS_IN_FLIGHT, (id) => terminate(service.url, id));
  await delay(SETTLE_MS);
  const afterPausing = await readProcStatus(service.pid);

  const sampler = new ProcSampler(service.pid).start();
  const batches = await resumeInBatches(service, ids, small.bytes);
  const samples = await sampler.stop();
  const end = await readProcStatus(service.pid);
  const checks = await checkCompleted(service, small);
  return {
    transfers: names.length,
    finishedBeforePause: names.length - ids.length,
    fileBytes: small.bytes,
    idle,
    poolFull,
    afterPausing,
    batchThreads: summarize(samples.map((sample) => sample.threads)),
    batchRss: summarize(samples.map((sample) => sample.rssBytes)),
    peakRssBytes: end.peakRssBytes,
    ...batches,
    createAndPauseSeconds,
    ...checks,
  };
}

/**
 * Creates a transfer and pauses it; null if it completed before the pause could
 * land, which only happens when a blocker has finished and freed its slot.
 */
async function createPaused(url: string, name: string): Promise<string | null> {
  const { id } = await createTransfer(url, name);
  const reply = await send('POST', `${url}/api/transfers/${id}/pause`);
  if (reply.status === 409) return null;
  const paused = jsonOf<TransferJson>(expectStatus(reply, 200, `pause of ${name}`), name);
  if (paused.state !== 'paused') {
    throw new Error(`${name} is ${paused.state} after its pause, not paused`);
  }
  return id;
}

/** Terminates a transfer; one that has already completed (409) is left as it is. */
async function terminate(url: string, id: string): Promise<void> {
  const reply = await send('POST', `${url}/api/transfers/${id}/terminate`);
  if (reply.status !== 409) expectStatus(reply, 200, `terminate of ${id}`);
}

/** Resumes `BATCH` transfers at a time and waits for each batch to finish. */
async function resumeInBatches(
  service: StartedService,
  ids: string[],
  fileBytes: number,
) {
  const rates: number[] = [];
  const started = performance.now();
  for (let first = 0; first < ids.length; first += BATCH) {
    const batch = ids.slice(first, first + BATCH);
    const batchStarted = performance.now();
    await Promise.all(batch.map((id) => moveTransfer(service.url, id, 'resume')));
    await untilNoneMoving(service);
    const seconds = (performance.now() - batchStarted) / 1000;
    rates.push((batch.length * fileBytes) / 1e6 / seconds);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    batchMbPerSecond: summarize(rates),
    aggregateMbPerSecond: (ids.length * fileBytes) / 1e6 / seconds,
  };
}

// Only the current batch can be queued or running, so both lists empty means
// the batch is done; the running list is checked again after queued is empty.
async function untilNoneMoving(service: StartedService): Promise<void> {
  for (;;) {
    const queued = await listTransfers(service.url, 'queued');
    if (queued.length === 0) {
      const running = await listTransfers(service.url, 'running');
      if (running.length === 0) return;
    }
    await delay(POLL_MS);
  }
}

async function checkCompleted(service: StartedService, small: CsvInput) {
  const completed = await listTransfers(service.url, 'completed');
  const expected = await small.sha256();
  return {
    completed: completed.length,
    checksumsMatching: completed.filter(({ sha256 }) => sha256 === expected).length,
  };
}

function tablesOf(results: ScaleResults) {
  const status = (label: string, figure: ProcStatus) => [
    label,
    String(figure.threads),
    format.megabytes(figure.rssBytes),
  ];
  const { batchThreads, batchRss } = results;
  return [
    {
      headers: ['moment', 'threads', 'RSS'],
      rows: [
        status('before any transfer', results.idle),
        status(`${BATCH} copies running (pool full)`, results.poolFull),
        status(`${results.transfers} created and paused`, results.afterPausing),
        [
          'during the batches, median (max)',
          `${batchThreads.median} (${batchThreads.max})`,
          `${format.megabytes(batchRss.median)} (${format.megabytes(batchRss.max)})`,
        ],
        ['peak over the scenario (VmHWM)', '', format.megabytes(results.peakRssBytes)],
      ],
    },
    {
      caption: `Resuming in batches of ${BATCH}:`,
      headers: ['figure', 'value'],
      rows: [
        [
          'aggregate MB/s (all batches / wall time)',
          format.mbPerSecond(results.aggregateMbPerSecond),
        ],
        [
          'per-batch MB/s, median (min–max)',
          format.spread(results.batchMbPerSecond, format.mbPerSecond),
        ],
        ['create + pause, all transfers', format.seconds(results.createAndPauseSeconds)],
        [
          'completed, with the right sha256',
          `${results.checksumsMatching} of ${results.transfers}`,
        ],
      ],
    },
  ];
}

function notesOf(results: ScaleResults): string[] {
  return [
    `POOL_SIZE=${POOL_SIZE}, COPIES_PER_THREAD=${COPIES_PER_THREAD}. The ` +
      `${results.transfers} transfers are created through the API and paused while 32 ` +
      'long blocker copies hold every slot, so each is paused while queued and none ' +
      'finishes first; the blockers are then terminated.',
    'Each batch: 32 resumes, then GET /api/transfers?state=queued|running every ' +
      `${POLL_MS} ms until none is left. Threads and RSS read from /proc/<pid>/status.`,
  ];
}

function findingsOf(results: ScaleResults): string[] {
  const findings: string[] = [];
  if (results.finishedBeforePause > 0) {
    findings.push(
      `${results.finishedBeforePause} transfers completed before their pause: a ` +
        'blocker copy finished early, so the batches hold fewer transfers',
    );
  }
  if (results.checksumsMatching !== results.transfers) {
    findings.push(
      `only ${results.completed} of ${results.transfers} transfers completed and ` +
        `${results.checksumsMatching} reported the source's sha256`,
    );
  }
  return findings;
}
