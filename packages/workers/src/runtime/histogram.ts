/**
 * Latency histograms with log2 buckets, in nanoseconds.
 *
 * Bucket 0 holds [0, 1) ns, bucket b (1..32) holds [2^(b-1), 2^b) ns, and the
 * last bucket everything from 2^32 ns (4.3 s) up. Finding the bucket is one
 * `Math.clz32`, which is why the histogram is log2: a sample costs an add.
 */
export const LATENCY_BUCKETS = 34;

/** The bucket of a latency of `ns` nanoseconds (ns >= 0). */
export function bucketOf(ns: number): number {
  if (ns < 1) return 0;
  if (ns >= 4294967296) return LATENCY_BUCKETS - 1;
  return 32 - Math.clz32(ns >>> 0);
}

/** The lower bound in ns of bucket b. */
export function bucketLow(b: number): number {
  return b === 0 ? 0 : 2 ** (b - 1);
}

/** The upper bound in ns of bucket b (the open-ended last bucket is given twice its lower bound). */
export function bucketHigh(b: number): number {
  return 2 ** b;
}

/**
 * The q-quantile (0 < q <= 1) of the samples in `buckets`: the bucket holding
 * the sample of rank ceil(q * count), interpolated linearly inside that bucket
 * by rank. A log2 bucket spans a factor of two, so the estimate is within that
 * factor of the true sample; 0 when there are no samples.
 */
export function quantile(buckets: ArrayLike<number>, q: number): number {
  let count = 0;
  for (let b = 0; b < buckets.length; b++) count += buckets[b]!;
  if (count === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * count));
  let below = 0;
  for (let b = 0; b < buckets.length; b++) {
    const n = buckets[b]!;
    if (below + n >= rank) {
      const lo = bucketLow(b);
      const hi = bucketHigh(b);
      return lo + ((hi - lo) * (rank - below)) / n;
    }
    below += n;
  }
  return bucketHigh(buckets.length - 1);
}
