// The project's performance targets, each judged from the figures measured in
// this run; a target whose scenario did not run is "not measured", not failed.
import * as format from './format.js';
import type { HttpResults } from './scenarios/http.js';
import type { MemoryResults } from './scenarios/memory.js';
import type { PauseResults } from './scenarios/pause.js';
import type { ResumeResults } from './scenarios/resume.js';
import type { ScaleResults } from './scenarios/scale.js';
import type { ThroughputResults } from './scenarios/throughput.js';

export interface ScenarioResults {
  throughput?: ThroughputResults;
  pause?: PauseResults;
  resume?: ResumeResults;
  http?: HttpResults;
  memory?: MemoryResults;
  scale?: ScaleResults;
}

export interface TargetResult {
  target: string;
  /** The measured figure the verdict rests on, as printed. */
  figure: string;
  /** null when the scenario behind it did not run (or measured nothing). */
  met: boolean | null;
}

const RSS_LIMIT_BYTES = 150e6;

export function evaluateTargets(results: ScenarioResults): TargetResult[] {
  return [
    ...throughputTargets(results.throughput),
    pauseTarget(results.pause),
    resumeTarget(results.resume),
    ...statusTargets(results.http),
    rssTarget('peak RSS < 150 MB (10× upload)', results.memory?.peakRss.median),
    rssTarget('peak RSS < 150 MB (scale scenario)', results.scale?.peakRssBytes),
    threadTarget(results.scale),
  ];
}

function judged(target: string, value: number | undefined, figure: string, met: boolean) {
  const measured = value !== undefined && Number.isFinite(value);
  if (!measured) return { target, figure: 'not measured', met: null };
  return { target, figure, met };
}

function throughputTargets(results: ThroughputResults | undefined): TargetResult[] {
  const ratios = results?.ratios;
  const atLeast = (target: string, value: number | undefined, floor: number) =>
    judged(target, value, format.times(value ?? Number.NaN), (value ?? 0) >= floor);
  return [
    atLeast('throughput with SHA-256 ≥ 0.9× pipeline', ratios?.serviceOverPipeline, 0.9),
    atLeast('throughput with SHA-256 ≥ 20× naive', ratios?.serviceOverNaive, 20),
    atLeast(
      'throughput with the checksum off ≥ 1.0× pipeline',
      ratios?.noHashOverPipeline,
      1,
    ),
  ];
}

function pauseTarget(results: PauseResults | undefined): TargetResult {
  const p99 = results?.latencyMs.p99 ?? Number.NaN;
  return judged('pause p99 < 10 ms through HTTP', p99, `p99 ${format.ms(p99)}`, p99 < 10);
}

function resumeTarget(results: ResumeResults | undefined): TargetResult {
  const depths = results?.depths ?? [];
  const worst = depths.reduce<(typeof depths)[number] | undefined>(
    (slowest, depth) =>
      !slowest || depth.resumeMs.median > slowest.resumeMs.median ? depth : slowest,
    undefined,
  );
  const median = worst?.resumeMs.median;
  const figure = worst
    ? `slowest median ${format.ms(worst.resumeMs.median)} (at ${worst.depth * 100}%)`
    : '';
  const target = 'resume latency < 20 ms at every depth';
  return judged(target, median, figure, (median ?? Infinity) < 20);
}

function statusTargets(results: HttpResults | undefined): TargetResult[] {
  const one = results?.levels.find((level) => level.uploads === 1);
  const p99 = one?.p99.median ?? Number.NaN;
  const overIdle = one?.p99OverIdle ?? Number.NaN;
  return [
    judged(
      'GET /status p99 with one copy running < 5 ms',
      p99,
      `p99 ${format.ms(p99)}`,
      p99 < 5,
    ),
    judged(
      'GET /status p99 with one copy running ≤ 2× idle p99',
      overIdle,
      `${format.times(overIdle)} the idle p99`,
      overIdle <= 2,
    ),
  ];
}

function rssTarget(target: string, peak = Number.NaN): TargetResult {
  return judged(target, peak, format.megabytes(peak), peak < RSS_LIMIT_BYTES);
}

/**
 * Bounded: holding every transfer paused, and running them batch after batch,
 * takes no more threads than the pool at its full size with 32 copies running.
 */
function threadTarget(results: ScaleResults | undefined): TargetResult {
  if (!results) return judged('thread count bounded', undefined, '', false);
  const most = Math.max(results.afterPausing.threads, results.batchThreads.max);
  const figure =
    `${results.idle.threads} idle, ${results.poolFull.threads} with the pool full, ` +
    `${results.afterPausing.threads} with ${results.transfers} paused, ` +
    `${results.batchThreads.max} at most in the batches`;
  return judged('thread count bounded', most, figure, most <= results.poolFull.threads);
}
