import type { BenchInputs } from './data.js';
import type { BenchOptions, ScenarioName } from './options.js';
import type { Table } from './table.js';
import type { Workspace } from './workspace.js';

/** What every scenario is given. */
export interface ScenarioContext {
  options: BenchOptions;
  inputs: BenchInputs;
  workspace: Workspace;
}

/** What every scenario hands back: tables to print, and the figures behind them. */
export interface ScenarioOutput<Results = unknown> {
  name: ScenarioName;
  title: string;
  tables: Table[];
  /** How it was measured, for whoever reads the tables. */
  notes: string[];
  /** What looked wrong in the service while measuring. */
  findings: string[];
  results: Results;
}

export type Scenario = (context: ScenarioContext) => Promise<ScenarioOutput>;
