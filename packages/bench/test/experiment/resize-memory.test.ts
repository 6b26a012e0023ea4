import { createMap } from '@rightsize/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleAtTick } from '../../src/experiment/accounting/summary.js';
import type { ExperimentResult } from '../../src/experiment/runner/experiment.js';
import { runSmall, strategy } from './support/small.js';

/** Bytes hash_resize holds per bucket of its table (the bucket and the element slot it preallocates), measured through stats(). */
function bytesPerBucket(keySize: number, valueSize: number): number {
  const at = (initialBuckets: number): number => {
    const m = createMap({ type: 'hash_resize', keySize, valueSize, maxEntries: 1 << 20, resize: { initialBuckets } });
    try {
      return m.stats().bytes;
    } finally {
      m.destroy();
    }
  };
  return (at(2048) - at(1024)) / 1024;
}

// Memory of hash_resize against the hash sized for the worst case. The
// inline driver resizes at the watermarks from the thread that crosses them,
// so the table has its watermark size at every sample (with the default
// deferred driver its size at a given moment depends on when the resizer
// thread got CPU time).
describe('hash_resize memory against the worst-case hash', () => {
  let r: ExperimentResult;
  beforeAll(async () => {
    r = await runSmall(['hash-worst', 'resize-help'], { resize: { driver: 'inline' } });
  }, 180_000);

  it('holds less than the worst-case hash after the burst, and ends far below it', () => {
    const worst = strategy(r, 'hash-worst');
    const rz = strategy(r, 'resize-help');
    const worstBytes = worst.run.finalStats.bytes;
    expect(worst.summary.peakBytes).toBe(worstBytes);
    expect(rz.summary.meanBytesAfterBurst).toBeLessThan(worstBytes);
    expect(rz.summary.finalBytes).toBeLessThan(worstBytes / 2);
    expect(rz.summary.meanBytes).toBeLessThan(worstBytes);
  });

  it('holds more than the worst-case hash at the end of the burst: its table for that many entries is bigger than the preallocated pool', () => {
    const worstBytes = strategy(r, 'hash-worst').run.finalStats.bytes;
    const rz = strategy(r, 'resize-help');
    const burst = r.workload.figures.find((f) => f.name === 'burst')!;
    const at = sampleAtTick(rz.run.mapSeries, burst.endTick)!;
    // The observed fact: at the burst's end the resizable map holds more.
    expect(at.bytes).toBeGreaterThan(worstBytes);
    // Why: a table of B buckets (a power of two) preallocates B element
    // slots and grows once more than growAt x B are used. The burst's peak
    // needs the smallest such B with peak <= growAt x B, and that table
    // outweighs the worst-case hash's pool of worstCase elements: at this
    // burst, which reaches most of the worst case, sizing by watermark costs
    // more than sizing for the worst case.
    const perBucket = bytesPerBucket(16, 56);
    const buckets = 2 ** Math.ceil(Math.log2(burst.peakMustHold / r.scenario.resize.growAt));
    expect(buckets * perBucket).toBeGreaterThan(worstBytes);
    expect(at.bytes).toBeGreaterThanOrEqual(buckets * perBucket);
  });
});
