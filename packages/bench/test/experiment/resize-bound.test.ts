import { describe, expect, it } from 'vitest';
import { runSmall, strategy } from './support/small.js';

// hash_resize starts at a few buckets with maxEntries at the worst case. As
// long as the flows stay under that bound it never refuses one for lack of
// room (-E2BIG): the only refusal left is the talk's new error, -EBUSY while
// a resize is under way, which each policy meets its own way ('help' never
// returns it). It loses no entry it admitted: a flow breaks only when the
// collector expired it after its refreshes were lost to -EBUSY (counted).
describe('hash_resize bounded at the worst case', () => {
  it('refuses no flow for room below its bound, under every EBUSY policy', async () => {
    const r = await runSmall(['resize-fail', 'resize-retry', 'resize-help']);
    const bound = r.scenario.sizing.worstCase;
    expect(Math.max(...r.workload.figures.map((f) => f.peakWithGcLag))).toBeLessThan(bound);
    for (const id of ['resize-fail', 'resize-retry', 'resize-help'] as const) {
      const { run, summary } = strategy(r, id);
      expect(run.error, id).toBeNull();
      expect(summary.grows, id).toBeGreaterThan(0);
      expect(summary.peakEntries, id).toBeLessThan(bound);
      const e = summary.refusedByErrno;
      expect([e.E2BIG, e.ENOMEM, e.overflowFull, e.other], id).toEqual([0, 0, 0, 0]);
      expect(summary.flowsRefused, id).toBe(e.EBUSY);
      expect(summary.flowsBroken, id).toBe(summary.flowsBrokenStale);
    }
    const help = strategy(r, 'resize-help').summary;
    expect(help.flowsRefused).toBe(0);
    expect(help.ebusy).toBe(0);
    expect(help.flowsBroken).toBe(0);
  }, 180_000);
});
