/**
 * a / b for two throughputs, or null when it means nothing: either side
 * missing, not finite, or b not positive. A ratio is never Infinity or NaN
 * in a report.
 */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0 || a < 0) return null;
  return a / b;
}

/** ns per operation from operations per second (null for no throughput). */
export function nsPerOp(opsPerSec: number | null | undefined): number | null {
  return ratio(1e9, opsPerSec);
}

/** Events per million operations: how the EBUSY rate is quoted. */
export function perMillion(count: number, ops: number): number | null {
  const r = ratio(count, ops);
  return r === null ? null : r * 1e6;
}
