/** The figures the bench reports for a list of samples, with the samples kept. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p99: number;
  mean: number;
  samples: number[];
}

/**
 * The p-th percentile (0–100) of ascending `sorted`, interpolating linearly
 * between the two nearest ranks, so a p99 of 15 samples is not just the maximum.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const low = sorted[below] ?? Number.NaN;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (rank - below);
}

/** Median, min, max, p99 and mean of `samples`; NaN throughout when there are none. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    n: sorted.length,
    median: percentile(sorted, 50),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    p99: percentile(sorted, 99),
    mean: sorted.length > 0 ? total / sorted.length : Number.NaN,
    samples: [...samples],
  };
}

/** a / b, or NaN when either side is missing, so a skipped method shows as "–". */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
