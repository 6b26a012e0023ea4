import { describe, expect, it } from 'vitest';
import { runSmall, strategy } from './support/small.js';

// A hash sized for the normal load is full during the burst: the kernel's
// HASH refuses every new key with -E2BIG (it never evicts), so new flows are
// refused and established ones are never broken.
describe('a hash sized for the normal load', () => {
  it('refuses new flows during the burst (-E2BIG) and breaks no established flow', async () => {
    const r = await runSmall(['hash-normal']);
    const { run, summary } = strategy(r, 'hash-normal');
    const burst = r.workload.phases.findIndex((p) => p.name === 'burst');
    const normal = r.workload.phases.findIndex((p) => p.name === 'normal');
    expect(run.error).toBeNull();
    // The workload needs far more than the map's 500 entries during the burst.
    expect(r.workload.figures[burst]!.peakMustHold).toBeGreaterThan(r.scenario.sizing.normal);

    const b = run.byPhase[burst]!;
    expect(b.flowsRefused).toBeGreaterThan(b.newFlows / 2);
    expect(b.refusedE2BIG).toBe(b.flowsRefused);
    expect(run.byPhase[normal]!.flowsRefused).toBeLessThan(b.flowsRefused / 100);
    expect(summary.flowsBroken).toBe(0);
    expect(summary.peakEntries).toBeLessThanOrEqual(r.scenario.sizing.normal + r.cpus);
  }, 120_000);
});
