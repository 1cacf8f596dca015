/** Nearest-rank percentile of `values` (sorted in place); NaN for none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(values: number[]): { p50: number; p99: number; max: number; mean: number } {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  let sum = 0;
  for (const v of list) sum += v;
  return { p50: percentile(list, 50), p99: percentile(list, 99), max: list.length ? list[list.length - 1]! : Number.NaN, mean: list.length ? sum / list.length : Number.NaN };
}

export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
