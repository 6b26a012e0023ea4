import { describe, expect, it } from 'vitest';
import { runSmall, strategy } from './support/small.js';

// The talk's recovery idea: a first packet the resizing map refuses (-EBUSY,
// or -E2BIG at its bound) goes to a small overflow LRU. When the overflow is
// at capacity the brand-new flow is refused rather than letting the LRU
// evict an established one. A resize by relinking keeps up with this burst
// (no -EBUSY), so the main map's bound is set below the burst's peak here:
// its -E2BIG is what the overflow answers.
describe('hash_resize with an overflow LRU', () => {
  it('sends refused first packets to the overflow, and refuses new flows rather than evict established ones', async () => {
    const r = await runSmall(['resize-overflow'], { sizing: { normal: 500, worstCase: 1000, overflow: 256 } });
    const { run, summary } = strategy(r, 'resize-overflow');
    expect(run.error).toBeNull();
    expect(summary.overflowAdmitted).toBeGreaterThan(0);
    // Every -EBUSY/-E2BIG of the main map was answered by the overflow: the
    // only refusals left are those the overflow had no room for.
    const e = summary.refusedByErrno;
    expect([e.E2BIG, e.EBUSY, e.ENOMEM, e.other]).toEqual([0, 0, 0, 0]);
    expect(summary.flowsRefused).toBe(e.overflowFull);
    // The overflow never evicted: no established flow was dropped to make room.
    expect(run.finalOverflowStats?.evictions).toBe(0);
    expect(summary.evictions).toBe(0);
    expect(summary.peakEntries).toBeGreaterThan(0);
    expect(Math.max(...run.mapSeries.map((p) => p.overflowEntries))).toBeLessThanOrEqual(r.scenario.sizing.overflow);
    expect(summary.flowsBroken).toBe(summary.flowsBrokenStale);
  }, 120_000);
});
