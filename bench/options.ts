import { parseArgs } from 'node:util';

export const SCENARIOS = [
  'throughput',
  'pause',
  'resume',
  'http',
  'memory',
  'scale',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Everything a run of the bench is told, after --quick has filled in its defaults. */
export interface BenchOptions {
  quick: boolean;
  /** Size asked for the base CSV; the generator stops at the record that reaches it. */
  bytes: number;
  /** Measured runs after one warm-up, for every figure that is a median. */
  runs: number;
  only: ScenarioName[];
  /** The naive copy runs ~80 MB/s, so it gets fewer runs, and no warm-up. */
  naiveRuns: number;
  pauses: number;
  statusRequests: number;
  /** Each memory run copies ten times the base size, so it gets fewer runs. */
  memoryRuns: number;
  scaleTransfers: number;
  smallBytes: number;
  /** Uploads running at once in the http scenario. */
  uploadLevels: number[];
}

const MiB = 1 << 20;
const GiB = 1 << 30;

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: MiB,
  gib: GiB,
};

export const USAGE =
  'usage: npm run bench -- [--quick] [--size 1GiB] [--runs 5] ' +
  `[--only ${SCENARIOS.join(',')}]`;

/** Reads the command line; a bad value throws with what was expected. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      size: { type: 'string' },
      runs: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const quick = values.quick;
  const runs = values.runs === undefined ? (quick ? 3 : 5) : parseCount(values.runs);
  return {
    quick,
    bytes: values.size === undefined ? (quick ? 128 * MiB : GiB) : parseSize(values.size),
    runs,
    only: values.only === undefined ? [...SCENARIOS] : parseOnly(values.only),
    naiveRuns: 2,
    pauses: quick ? 15 : 50,
    statusRequests: quick ? 100 : 300,
    memoryRuns: Math.min(runs, quick ? 2 : 3),
    scaleTransfers: quick ? 200 : 1000,
    smallBytes: 2 * MiB,
    uploadLevels: [1, 4, 16],
  };
}

/** "1GiB", "128 MiB", "500MB" or a plain byte count. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] || 'b').toLowerCase()];
  if (!match || unit === undefined) {
    throw new Error(
      `--size must be a number with an optional unit like 1GiB, got "${text}"`,
    );
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (bytes < MiB) throw new Error(`--size must be at least 1 MiB, got "${text}"`);
  return bytes;
}

function parseCount(text: string): number {
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    throw new Error(`--runs must be a whole number from 1 to 100, got "${text}"`);
  }
  return runs;
}

function parseOnly(text: string): ScenarioName[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`--only takes ${SCENARIOS.join(', ')}, got "${name}"`);
    }
  }
  // Scenarios run in the listed order whatever order they were asked in.
  return SCENARIOS.filter((name) => names.includes(name));
}
