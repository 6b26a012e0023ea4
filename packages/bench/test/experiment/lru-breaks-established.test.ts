import { describe, expect, it } from 'vitest';
import { runSmall, strategy } from './support/small.js';

// An lru_hash sized for the normal load never refuses: during the burst it
// makes room by evicting, and the flows it evicts are live ones, whose next
// packet finds no entry (broken).
describe('an lru_hash sized for the normal load', () => {
  it('refuses nothing but breaks established flows during the burst, by eviction', async () => {
    const r = await runSmall(['lru-normal']);
    const { run, summary } = strategy(r, 'lru-normal');
    const burst = r.workload.phases.findIndex((p) => p.name === 'burst');
    expect(run.error).toBeNull();

    expect(summary.flowsRefused).toBe(0);
    const b = run.byPhase[burst]!;
    expect(b.flowsBroken).toBeGreaterThan(b.newFlows / 4);
    expect(summary.evictions).toBeGreaterThanOrEqual(summary.flowsBroken);
    // No refresh is lost to -EBUSY in an LRU: every break is an eviction.
    expect(summary.flowsBrokenStale).toBe(0);
    expect(summary.peakEntries).toBeLessThanOrEqual(r.scenario.sizing.normal);
  }, 120_000);
});
