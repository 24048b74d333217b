// The benchmark: `npm run bench -- [--quick] [--size 1GiB] [--runs 5] [--only a,b]`.
// Starts the service as a child process per scenario, measures it against plain
// copies on the same file, prints each table as it goes, and writes
// bench/results/results.json and results.md: results-quick.* with --quick, and
// results[-quick]-partial.* when --only leaves some scenarios out.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BenchInputs, ensureDataDir } from './data.js';
import * as format from './format.js';
import { closeConnections } from './http-client.js';
import { describeMachine } from './machine.js';
import {
  parseOptions,
  SCENARIOS,
  USAGE,
  type BenchOptions,
  type ScenarioName,
} from './options.js';
import { DATA_DIR, RESULTS_DIR } from './paths.js';
import { renderReport, renderScenario, renderTargets, type BenchRun } from './report.js';
import type { Scenario, ScenarioOutput } from './scenario.js';
import { http } from './scenarios/http.js';
import { memory } from './scenarios/memory.js';
import { pause } from './scenarios/pause.js';
import { resume } from './scenarios/resume.js';
import { scale } from './scenarios/scale.js';
import { throughput } from './scenarios/throughput.js';
import { stopAllServices } from './service-process.js';
import { evaluateTargets, type ScenarioResults } from './targets.js';
import { removeStaleWorkspaces, Workspace } from './workspace.js';

const SCENARIO_RUNNERS: Record<ScenarioName, Scenario> = {
  throughput,
  pause,
  resume,
  http,
  memory,
  scale,
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) return console.log(USAGE);
  const options = parseOptionsOrExplain(argv);
  const started = performance.now();
  await ensureDataDir();
  const stale = await removeStaleWorkspaces();
  if (stale.length > 0) console.log(`removed leftovers: ${stale.join(', ')}`);
  const workspace = new Workspace();
  stopOnSignals(workspace);
  console.log(describeOptions(options));

  const inputs = new BenchInputs(options);
  const scenarios: ScenarioOutput[] = [];
  const failures: BenchRun['failures'] = [];
  try {
    for (const name of options.only) {
      const output = await runScenario(name, { options, inputs, workspace });
      if ('error' in output) failures.push(output);
      else scenarios.push(output);
    }
  } finally {
    await stopAllServices();
    await workspace.removeAll();
    closeConnections();
  }

  const targets = evaluateTargets(resultsByName(scenarios));
  console.log(`\n${renderTargets(targets)}\n`);
  const run: BenchRun = {
    timestamp: new Date().toISOString(),
    durationSeconds: (performance.now() - started) / 1000,
    machine: await describeMachine(DATA_DIR),
    options,
    scenarios,
    failures,
    targets,
  };
  const markdown = renderReport(run);
  const written = await writeResults(run, markdown, options);
  console.log(`\n${markdown}`);
  console.log(`wrote ${written.join(' and ')} in ${format.seconds(run.durationSeconds)}`);
  if (failures.length > 0) process.exitCode = 1;
}

function parseOptionsOrExplain(argv: string[]): BenchOptions {
  try {
    return parseOptions(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n${USAGE}`);
  }
}

// A scenario that throws is reported and the others still run: one broken
// route should not cost the figures of all the rest.
async function runScenario(
  name: ScenarioName,
  context: Parameters<Scenario>[0],
): Promise<ScenarioOutput | { name: string; error: string }> {
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  try {
    const output = await SCENARIO_RUNNERS[name](context);
    console.log(`\n${renderScenario(output)}\n`);
    console.log(`(${name}: ${format.seconds((performance.now() - started) / 1000)})`);
    return output;
  } catch (error) {
    const message =
      error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.log(`${name} FAILED: ${message}`);
    await stopAllServices();
    return { name, error: message };
  }
}

function resultsByName(scenarios: ScenarioOutput[]): ScenarioResults {
  return Object.fromEntries(scenarios.map((output) => [output.name, output.results]));
}

async function writeResults(run: BenchRun, markdown: string, options: BenchOptions) {
  await mkdir(RESULTS_DIR, { recursive: true });
  // Neither a quick run nor one of only some scenarios overwrites the full results.
  const partial = options.only.length < SCENARIOS.length;
  const name = `results${options.quick ? '-quick' : ''}${partial ? '-partial' : ''}`;
  const base = join(RESULTS_DIR, name);
  await writeFile(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  return [`${base}.json`, `${base}.md`];
}

function describeOptions(options: BenchOptions): string {
  return (
    `bench: ${options.quick ? 'quick' : 'full'}, ` +
    `base file ${format.size(options.bytes)}, ` +
    `${options.runs} runs after 1 warm-up, scenarios ${options.only.join(', ')}`
  );
}

// Ctrl-C must not leave services running or gigabytes of scratch files behind.
function stopOnSignals(workspace: Workspace): void {
  const stop = (signal: NodeJS.Signals) => {
    console.log(`\n${signal}: stopping the services and removing scratch files`);
    void stopAllServices()
      .then(() => workspace.removeAll())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch(async (error: unknown) => {
  await stopAllServices();
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
