/** How a set of repetitions spread: the median is the figure; min/max and the quartiles are the spread. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  /** First and third quartiles (linear interpolation between order statistics). */
  q1: number;
  q3: number;
  mean: number;
}

/** The q-quantile (0..1) of sorted values, interpolating linearly between neighbours (R's type 7). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Summarises repetitions. Throws on an empty set or a value that is not a finite number. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize needs at least one value');
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`summarize: not a finite number: ${v}`);
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantileSorted(s, 0.5),
    min: s[0]!,
    max: s[s.length - 1]!,
    q1: quantileSorted(s, 0.25),
    q3: quantileSorted(s, 0.75),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** The spread as a share of the median: (max - min) / median. 0 for a single repetition. */
export function relativeSpread(s: Summary): number {
  return s.median === 0 ? 0 : (s.max - s.min) / s.median;
}
