import { describe, expect, it } from 'vitest';
import { runSmall, strategy } from './support/small.js';

// A hash sized for the worst case holds every flow, and holds its whole
// preallocated pool from start to end whatever the load.
describe('a hash sized for the worst case', () => {
  it('refuses no flow and breaks none, holding the same memory throughout', async () => {
    const r = await runSmall(['hash-worst']);
    const { run, summary } = strategy(r, 'hash-worst');
    expect(run.error).toBeNull();
    // Even with the collector as late as its pace allows, the workload stays under the bound.
    const peak = Math.max(...r.workload.figures.map((f) => f.peakWithGcLag));
    expect(peak).toBeLessThan(r.scenario.sizing.worstCase);

    expect(summary.flowsRefused).toBe(0);
    expect(summary.flowsBroken).toBe(0);
    expect(summary.accepted).toBe(summary.packets);
    const bytes = run.mapSeries.map((p) => p.bytes);
    expect(Math.min(...bytes)).toBe(Math.max(...bytes));
    expect(summary.peakBytes).toBe(run.finalStats.bytes);
  }, 120_000);
});
