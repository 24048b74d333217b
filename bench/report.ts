// results.md: the machine, then one section per scenario, then the targets.
import * as format from './format.js';
import type { MachineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import type { ScenarioOutput } from './scenario.js';
import { renderTable } from './table.js';
import type { TargetResult } from './targets.js';

/** Everything one run of the bench produced; results.json is this, as JSON. */
export interface BenchRun {
  timestamp: string;
  durationSeconds: number;
  machine: MachineInfo;
  options: BenchOptions;
  scenarios: ScenarioOutput[];
  /** Scenarios that threw, with the error; their targets read "not measured". */
  failures: Array<{ name: string; error: string }>;
  targets: TargetResult[];
}

export function renderReport(run: BenchRun): string {
  return (
    [
      header(run),
      ...run.scenarios.map(renderScenario),
      ...run.failures.map(
        (failure) => `## ${failure.name}: FAILED\n\n    ${failure.error}`,
      ),
      renderTargets(run.targets),
    ].join('\n\n') + '\n'
  );
}

/** One scenario's section: its tables, how it was measured, what looked wrong. */
export function renderScenario(output: ScenarioOutput): string {
  const parts = [`## ${output.title}`, ...output.tables.map(renderTable)];
  if (output.notes.length > 0) {
    parts.push(output.notes.map((note) => `- ${note}`).join('\n'));
  }
  if (output.findings.length > 0) {
    const findings = output.findings.map((finding) => `- ${oneLine(finding)}`);
    parts.push(`Findings:\n\n${findings.join('\n')}`);
  }
  return parts.join('\n\n');
}

export function renderTargets(targets: TargetResult[]): string {
  const verdict = (met: boolean | null) =>
    met === null ? 'not measured' : met ? 'met' : 'NOT MET';
  return `## Targets\n\n${renderTable({
    headers: ['target', 'measured', 'verdict'],
    rows: targets.map((target) => [target.target, target.figure, verdict(target.met)]),
  })}`;
}

function header(run: BenchRun): string {
  const { machine, options } = run;
  const mode = options.quick ? 'quick' : 'full';
  return [
    `# CSV transfer benchmark (${mode})`,
    [
      `- Date: ${machine.date}`,
      `- CPU: ${machine.cpuModel} × ${machine.cpuCount}`,
      `- Memory: ${format.size(machine.totalMemoryBytes)}`,
      `- Node ${machine.node}, kernel ${machine.kernel}, data on ${machine.fileSystem}`,
      `- Base file ${format.size(options.bytes)}, ` +
        `${options.runs} runs after 1 warm-up; scenarios: ${options.only.join(', ')}; ` +
        `took ${format.seconds(run.durationSeconds)}`,
      '- Shared machine: every figure is a median with its min and max; compare the ' +
        'ratios, which were measured side by side, rather than the absolute figures.',
    ].join('\n'),
  ].join('\n\n');
}

// Log lines quoted as findings can be long JSON; keep them on one line.
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 400 ? `${flat.slice(0, 400)}…` : flat;
}
