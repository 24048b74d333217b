// Scenario 3: how soon a paused upload writes again after POST /resume, at
// three depths, against re-reading the file from the top and skipping lines.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { resumeBySkipping } from '../baselines.js';
import type { CsvInput } from '../data.js';
import { countLineEnds, nextLineStart, remove, sizeOf } from '../files.js';
import * as format from '../format.js';
import { expectStatus, send } from '../http-client.js';
import type { ScenarioContext, ScenarioOutput } from '../scenario.js';
import { ServiceProcess, type StartedService } from '../service-process.js';
import { pauseUpload, resumeUpload, startUpload } from '../service-routes.js';
import { ratio, summarize, type Summary } from '../stats.js';

const FILE = 'dummy1.csv';
const DEPTHS = [0.1, 0.5, 0.9];
const GROWTH_TIMEOUT_MS = 10_000;
const DEPTH_TIMEOUT_MS = 120_000;
// A pause near the end can lose the race with completion; such a run is redone.
const ATTEMPTS_PER_RUN = 3;

export interface DepthResult {
  depth: number;
  /** Where the runs were paused, in bytes. */
  pausedAt: Summary;
  /** From sending POST /resume until the .part file grew. */
  resumeMs: Summary;
  /** From sending POST /resume until its 202 reply. */
  replyMs: Summary;
  /** Readline from the top, skipping lines, until the first new byte is written. */
  naiveMs: Summary;
  naiveOffset: number;
  naiveOverService: number;
}

export interface ResumeResults {
  depths: DepthResult[];
}

export async function resume(
  context: ScenarioContext,
): Promise<ScenarioOutput<ResumeResults>> {
  const { options } = context;
  const source = await context.inputs.base();
  const folder = await context.workspace.folder('resume');
  const service = await ServiceProcess.start(folder, { [FILE]: source.path });
  const depths: DepthResult[] = [];
  try {
    for (const depth of DEPTHS) {
      const measured = await resumeRuns(service, source, depth, options.runs);
      const naive = await naiveRuns(source, depth, folder, options.naiveRuns);
      depths.push({
        depth,
        ...measured,
        ...naive,
        naiveOverService: ratio(naive.naiveMs.median, measured.resumeMs.median),
      });
      console.log(`  depth ${depth * 100}% done`);
    }
  } finally {
    await service.stop();
    await remove(folder);
  }
  return {
    name: 'resume',
    title: `Resume latency (${format.size(source.bytes)} upload)`,
    tables: [tableOf(depths)],
    notes: [
      `Service: ${options.runs} runs per depth after 1 warm-up. Each run starts an ` +
        'upload, pauses it once the .part passes the depth, then times from sending ' +
        'POST /resume (Prefer: respond-async) until fs.stat sees the .part grow; ' +
        'then terminates it.',
      `Naive: ${options.naiveRuns} runs per depth of readline from the top, skipping ` +
        'the lines before the depth, until the first line is written.',
    ],
    findings: service.problems,
    results: { depths },
  };
}

async function resumeRuns(
  service: StartedService,
  source: CsvInput,
  depth: number,
  runs: number,
) {
  const resumeMs: number[] = [];
  const replyMs: number[] = [];
  const pausedAt: number[] = [];
  for (let run = 0; run <= runs; run += 1) {
    const measured = await resumeOnce(service, Math.floor(depth * source.bytes));
    if (run === 0) continue;
    resumeMs.push(measured.resumeMs);
    replyMs.push(measured.replyMs);
    pausedAt.push(measured.pausedAt);
  }
  return {
    resumeMs: summarize(resumeMs),
    replyMs: summarize(replyMs),
    pausedAt: summarize(pausedAt),
  };
}

async function resumeOnce(service: StartedService, depth: number) {
  for (let attempt = 1; ; attempt += 1) {
    const pausedAt = await pauseNear(service, depth);
    if (pausedAt !== null) {
      const measured = await timeResume(service, pausedAt);
      await stopUpload(service);
      return { ...measured, pausedAt };
    }
    await stopUpload(service);
    if (attempt === ATTEMPTS_PER_RUN) {
      throw new Error(
        `the copy completed before a pause near byte ${depth}, ${attempt} times`,
      );
    }
  }
}

/** Starts a fresh upload and pauses it once the .part reaches `depth` bytes. */
async function pauseNear(service: StartedService, depth: number): Promise<number | null> {
  const part = service.partial(FILE);
  await startUpload(service.url, FILE);
  const started = performance.now();
  for (;;) {
    const size = await sizeOf(part);
    if (size >= depth) break;
    // A millisecond between looks leaves the CPU to the copy: 2 cores only.
    await delay(1);
    if (size === -1 && (await sizeOf(service.uploaded(FILE))) >= 0) return null;
    if (performance.now() - started > DEPTH_TIMEOUT_MS) {
      throw new Error(`the upload did not reach byte ${depth} in ${DEPTH_TIMEOUT_MS} ms`);
    }
  }
  const reply = await pauseUpload(service.url, FILE);
  if (reply.status === 409) return null;
  expectStatus(reply, 200, 'pause');
  return sizeOf(part);
}

// Polls fs.stat back to back while the request is under way: the resume counts
// as done when the .part grows, or is renamed because the copy completed.
async function timeResume(service: StartedService, pausedAt: number) {
  const part = service.partial(FILE);
  const started = performance.now();
  let replyMs = Number.NaN;
  const replied = resumeUpload(service.url, FILE).then((reply) => {
    replyMs = performance.now() - started;
    return expectStatus(reply, 202, 'resume');
  });
  let resumeMs = Number.NaN;
  while (performance.now() - started < GROWTH_TIMEOUT_MS) {
    const size = await sizeOf(part);
    if (size > pausedAt || size === -1) {
      resumeMs = performance.now() - started;
      break;
    }
  }
  await replied;
  if (Number.isNaN(resumeMs)) {
    throw new Error(`no new byte written ${GROWTH_TIMEOUT_MS} ms after the resume`);
  }
  return { resumeMs, replyMs };
}

/** Terminates the upload if it still runs, and removes whatever it left. */
async function stopUpload(service: StartedService): Promise<void> {
  const reply = await send('POST', `${service.url}/terminate?file=${FILE}`);
  if (reply.status !== 409) expectStatus(reply, 200, 'terminate');
  await Promise.all([remove(service.uploaded(FILE)), remove(service.partial(FILE))]);
}

async function naiveRuns(source: CsvInput, depth: number, folder: string, runs: number) {
  // Counted outside the timing: where the depth's line starts and how many lines
  // lie before it, which is what a line-counting cursor would have saved.
  const naiveOffset = await nextLineStart(source.path, Math.floor(depth * source.bytes));
  const lines = await countLineEnds(source.path, naiveOffset);
  const destination = join(folder, 'naive-resume.csv');
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    times.push(await resumeBySkipping(source.path, destination, lines));
    await remove(destination);
  }
  return { naiveMs: summarize(times), naiveOffset };
}

function tableOf(depths: DepthResult[]) {
  return {
    headers: [
      'depth',
      'paused at',
      'resume → first byte',
      'min',
      'max',
      '202 reply',
      'naive skip → first byte',
      'naive ÷ service',
    ],
    rows: depths.map((depth) => [
      `${depth.depth * 100}%`,
      format.megabytes(depth.pausedAt.median),
      format.ms(depth.resumeMs.median),
      format.ms(depth.resumeMs.min),
      format.ms(depth.resumeMs.max),
      format.ms(depth.replyMs.median),
      format.spread(depth.naiveMs, format.ms),
      format.times(depth.naiveOverService),
    ]),
  };
}
