import { createMap } from '@rightsize/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleAtTick } from '../../src/experiment/runner/summary.js';
import type { ExperimentResult } from '../../src/experiment/runner/experiment.js';
import { runSmall, strategy } from './support/small.js';

/** Bytes hash_resize holds per bucket of its table (buckets only: elements come in chunks as entries arrive), measured through stats(). */
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

  it('holds less than the worst-case hash at the end of the burst: buckets plus element chunks for the entries it has', () => {
    const worstBytes = strategy(r, 'hash-worst').run.finalStats.bytes;
    const rz = strategy(r, 'resize-help');
    const burst = r.workload.figures.find((f) => f.name === 'burst')!;
    const at = sampleAtTick(rz.run.mapSeries, burst.endTick)!;
    expect(at.bytes).toBeLessThan(worstBytes);
    // Why: a table of B buckets (the smallest power of two with the burst's
    // peak <= growAt x B) costs its buckets, and elements come in chunks as
    // entries arrive, so the element memory follows the entries held, not B.
    const perBucket = bytesPerBucket(16, 56);
    const buckets = 2 ** Math.ceil(Math.log2(burst.peakMustHold / r.scenario.resize.growAt));
    expect(buckets * perBucket).toBeLessThan(worstBytes);
  });
});
