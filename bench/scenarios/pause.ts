// Scenario 2: how long POST /pause takes to answer at random moments of a
// running upload, and whether the partial file has really stopped when it does.
import { setTimeout as delay } from 'node:timers/promises';
import type { CsvInput } from '../data.js';
import { endsLikeSource, remove, sizeTwice, tailOf } from '../files.js';
import * as format from '../format.js';
import { expectStatus } from '../http-client.js';
import type { ScenarioContext, ScenarioOutput } from '../scenario.js';
import { ServiceProcess, type StartedService } from '../service-process.js';
import {
  pauseUpload,
  resumeUpload,
  startUpload,
  terminateUpload,
  transferOf,
  uploadAndWait,
} from '../service-routes.js';
import { summarize, type Summary } from '../stats.js';

const FILE = 'dummy1.csv';
const WARM_UP_PAUSES = 3;
// Long enough for one more chunk to land if the copier were still writing.
const STILL_GAP_MS = 5;

/** One pause: its latency and what the partial file looked like after it. */
export interface PauseSample {
  ms: number;
  /** The size of the partial file once paused. */
  offset: number;
  /** The partial file grew after the 200 reply: the copier had not stopped. */
  stillGrowing: boolean;
  /** It ends with CRLF, the file's line ending (or is empty). */
  endsOnLineEnding: boolean;
  /** Its size is the transfer's bytesDone in the reply. */
  matchesCursor: boolean;
  /** Its last 64 KiB equal the source's at the same offset. */
  matchesSource: boolean;
}

export interface PauseResults {
  latencyMs: Summary;
  samples: PauseSample[];
  /** Pauses answered 409 because the copy had completed first; not samples. */
  finishedFirst: number;
  copyMs: number;
  windowMs: number;
}

export async function pause(
  context: ScenarioContext,
): Promise<ScenarioOutput<PauseResults>> {
  const { options } = context;
  const source = await context.inputs.base();
  const folder = await context.workspace.folder('pause');
  const service = await ServiceProcess.start(folder, { [FILE]: source.path });
  let results: PauseResults;
  try {
    // The warm-up copy also tells how long a copy takes, which spreads the
    // pauses through the file instead of bunching them at its start.
    const started = performance.now();
    await uploadAndWait(service.url, FILE);
    const copyMs = performance.now() - started;
    await remove(service.uploaded(FILE));
    results = await pauseRepeatedly(service, source, options.pauses, copyMs);
  } finally {
    await service.stop();
    await remove(folder);
  }
  return {
    name: 'pause',
    title: `Pause latency through HTTP (${format.size(source.bytes)} upload)`,
    tables: tablesOf(results, source.bytes),
    notes: [
      `${results.samples.length} pauses after ${WARM_UP_PAUSES} warm-up ones. Each: ` +
        'start or resume with Prefer: respond-async, wait a random ' +
        `0–${format.ms(results.windowMs)} (copy time / pauses), then time POST /pause ` +
        'to its 200 reply.',
      `After each, the .part is stat-ed twice ${STILL_GAP_MS} ms apart and its tail ` +
        'compared with the source.',
    ],
    findings: [...findingsOf(results), ...service.problems],
    results,
  };
}

async function pauseRepeatedly(
  service: StartedService,
  source: CsvInput,
  pauses: number,
  copyMs: number,
): Promise<PauseResults> {
  const windowMs = copyMs / pauses;
  const samples: PauseSample[] = [];
  let finishedFirst = 0;
  let warmUps = 0;
  let uploading = false;
  for (let attempt = 0; samples.length < pauses; attempt += 1) {
    if (attempt > 4 * pauses + 20) {
      throw new Error('too many pauses found the copy already completed');
    }
    uploading = await startOrResume(service, uploading);
    await delay(Math.random() * windowMs);

    const started = performance.now();
    const reply = await pauseUpload(service.url, FILE);
    const ms = performance.now() - started;
    if (reply.status === 409) {
      // The copy completed before the pause arrived: start a fresh one.
      finishedFirst += 1;
      uploading = false;
      continue;
    }
    expectStatus(reply, 200, 'pause');
    const { bytesDone } = transferOf(reply, 'pause');
    const sample = await inspect(service, source, bytesDone, ms);
    if (warmUps < WARM_UP_PAUSES) warmUps += 1;
    else samples.push(sample);
  }
  if (uploading) await terminateUpload(service.url, FILE);
  const latencyMs = summarize(samples.map((sample) => sample.ms));
  return { latencyMs, samples, finishedFirst, copyMs, windowMs };
}

/** Resumes the paused upload, or starts a new one over a removed destination. */
async function startOrResume(service: StartedService, uploading: boolean): Promise<true> {
  if (uploading) {
    const reply = await resumeUpload(service.url, FILE);
    if (reply.status === 202) return true;
    expectStatus(reply, 409, 'resume');
  }
  await remove(service.uploaded(FILE));
  await startUpload(service.url, FILE);
  return true;
}

async function inspect(
  service: StartedService,
  source: CsvInput,
  bytesDone: number,
  ms: number,
): Promise<PauseSample> {
  const part = service.partial(FILE);
  const [first, second] = await sizeTwice(part, STILL_GAP_MS);
  // No partial file yet: paused before the copier opened it, so nothing written.
  const offset = Math.max(first, 0);
  const tail = offset > 0 ? await tailOf(part, offset, 2) : Buffer.from('\r\n');
  return {
    ms,
    offset,
    stillGrowing: second !== first,
    endsOnLineEnding: tail.toString('latin1') === '\r\n',
    matchesCursor: offset === bytesDone,
    matchesSource: offset === 0 || (await endsLikeSource(source.path, part, offset)),
  };
}

function tablesOf(results: PauseResults, bytes: number) {
  const { latencyMs, samples } = results;
  const offsets = summarize(samples.map((sample) => (100 * sample.offset) / bytes));
  const count = (test: (sample: PauseSample) => boolean) =>
    `${samples.filter(test).length} of ${samples.length}`;
  return [
    {
      headers: ['pauses', 'p50', 'p99', 'max', 'min', 'paused at (% of file)'],
      rows: [
        [
          String(latencyMs.n),
          format.ms(latencyMs.median),
          format.ms(latencyMs.p99),
          format.ms(latencyMs.max),
          format.ms(latencyMs.min),
          `${offsets.min.toFixed(1)}–${offsets.max.toFixed(1)}`,
        ],
      ],
    },
    {
      caption: 'The partial file after each 200 reply:',
      headers: ['check', 'pauses'],
      rows: [
        ['size unchanged 5 ms later', count((sample) => !sample.stillGrowing)],
        ['ends with CRLF', count((sample) => sample.endsOnLineEnding)],
        ['size = bytesDone in the reply', count((sample) => sample.matchesCursor)],
        ['last 64 KiB equal the source', count((sample) => sample.matchesSource)],
        ['pauses that found the copy completed (409)', String(results.finishedFirst)],
      ],
    },
  ];
}

function findingsOf(results: PauseResults): string[] {
  const checks: Array<[keyof PauseSample, boolean, string]> = [
    ['stillGrowing', true, 'the .part still grew after the pause reply'],
    ['endsOnLineEnding', false, 'the paused .part did not end with CRLF'],
    ['matchesCursor', false, "the paused .part size differed from the reply's bytesDone"],
    ['matchesSource', false, 'the paused .part differed from the source'],
  ];
  return checks.flatMap(([field, bad, message]) => {
    const hits = results.samples.filter((sample) => sample[field] === bad);
    if (hits.length === 0) return [];
    const where = hits
      .slice(0, 3)
      .map((sample) => sample.offset)
      .join(', ');
    const of = `${hits.length} of ${results.samples.length} pauses`;
    return [`${message} in ${of} (at byte ${where})`];
  });
}
