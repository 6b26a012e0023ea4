import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, bucketHigh, bucketLow, bucketOf, quantile } from '../src/runtime/histogram.js';

// log2 latency buckets: bucket b holds [2^(b-1), 2^b) ns; quantiles are
// interpolated by rank inside the bucket that holds them.
describe('latency histogram', () => {
  it('puts a latency in the bucket whose range holds it', () => {
    for (const ns of [0, 0.5, 1, 2, 3, 4, 100, 1023, 1024, 1e6, 2 ** 31, 2 ** 32 - 1]) {
      const b = bucketOf(ns);
      expect(ns).toBeGreaterThanOrEqual(bucketLow(b));
      expect(ns).toBeLessThan(bucketHigh(b));
    }
    expect(bucketOf(2 ** 32)).toBe(LATENCY_BUCKETS - 1);
    expect(bucketOf(1e12)).toBe(LATENCY_BUCKETS - 1);
  });

  it('quantiles fall inside the bucket of the sample of that rank', () => {
    const buckets = new Array<number>(LATENCY_BUCKETS).fill(0);
    buckets[bucketOf(100)] = 90; // [64, 128)
    buckets[bucketOf(5000)] = 9; // [4096, 8192)
    buckets[bucketOf(1e6)] = 1; // [524288, 1048576)
    expect(quantile(buckets, 0.5)).toBeGreaterThanOrEqual(64);
    expect(quantile(buckets, 0.5)).toBeLessThan(128);
    expect(quantile(buckets, 0.95)).toBeGreaterThanOrEqual(4096);
    expect(quantile(buckets, 0.99)).toBeLessThanOrEqual(8192);
    expect(quantile(buckets, 0.999)).toBeGreaterThanOrEqual(524288);
    expect(quantile(new Array<number>(LATENCY_BUCKETS).fill(0), 0.5)).toBe(0);
  });
});
