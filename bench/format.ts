// Number formats shared by the printed tables and results.md; NaN (a figure
// that was not measured) prints as a dash rather than "NaN".

const DASH = '–';

function fixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return DASH;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Milliseconds, with more digits for the sub-millisecond latencies. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return DASH;
  return `${fixed(value, value < 10 ? 2 : 1)} ms`;
}

export function seconds(value: number): string {
  return Number.isFinite(value) ? `${fixed(value, 2)} s` : DASH;
}

/** Megabytes per second, 1 MB = 1e6 bytes. */
export function mbPerSecond(value: number): string {
  return Number.isFinite(value) ? fixed(value, 0) : DASH;
}

/** Bytes as MB (1e6), the unit the memory targets use. */
export function megabytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${fixed(bytes / 1e6, 1)} MB` : DASH;
}

/** Bytes as the binary unit that reads best: 128 MiB, 1 GiB, 2.5 GiB. */
export function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = Number.isInteger(value) ? 0 : 2;
  return `${fixed(value, digits)} ${units[unit]}`;
}

export function times(value: number): string {
  return Number.isFinite(value) ? `${fixed(value, 2)}×` : DASH;
}

/** "median (min–max)" of a summary-like figure, in the given format. */
export function spread(
  figure: { median: number; min: number; max: number },
  format: (value: number) => string,
): string {
  return `${format(figure.median)} (${format(figure.min)}–${format(figure.max)})`;
}
