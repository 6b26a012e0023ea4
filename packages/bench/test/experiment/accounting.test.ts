import { describe, expect, it } from 'vitest';
import { COUNTERS, accountingHolds, addCounts, zeroCounts } from '../../src/experiment/accounting/tally.js';
import { STRATEGY_IDS } from '../../src/experiment/scenario/strategy-ids.js';
import { runSmall } from './support/small.js';

// Every packet is counted exactly once, as accepted, refused or broken, on
// the CPU that processed it; every first packet as a flow admitted or
// refused; every refusal under one reason. Checked per CPU and in total for
// every strategy, against the workload's own packet and flow counts.
describe('the experiment accounting', () => {
  it('packets processed = accepted + refused + broken, per CPU and in total, for every strategy', async () => {
    const r = await runSmall([...STRATEGY_IDS]);
    const w = r.workload;
    const newFlows = w.figures.reduce((a, p) => a + p.newFlows, 0);
    expect(r.runs).toHaveLength(STRATEGY_IDS.length);
    for (const run of r.runs) {
      const id = run.plan.id;
      expect(run.error, id).toBeNull();
      for (const c of run.cpus) {
        expect(c.packets, `${id} cpu ${c.cpu}`).toBe(w.packetsPerCpu);
        expect(c.total.packets, `${id} cpu ${c.cpu}`).toBe(c.packets);
        expect(c.total.packets, `${id} cpu ${c.cpu}`).toBe(c.total.accepted + c.total.refused + c.total.broken);
        expect(accountingHolds(c.total), `${id} cpu ${c.cpu}`).toBe(true);
        for (const p of c.byPhase) expect(accountingHolds(p), `${id} cpu ${c.cpu} by phase`).toBe(true);
      }
      const sum = run.cpus.reduce((a, c) => addCounts(a, c.total), zeroCounts());
      for (const n of COUNTERS) expect(run.total[n], `${id} ${n}`).toBe(sum[n]);
      expect(run.total.packets, id).toBe(run.total.accepted + run.total.refused + run.total.broken);
      expect(run.total.packets, id).toBe(w.packetsPerCpu * r.cpus);
      expect(run.total.newFlows, id).toBe(newFlows);
      // The workers package counts helper calls on its own: every packet but
      // a first one makes one lookup (two when an overflow map is tried too).
      const lookups = Object.values(run.helperResults.lookup ?? {}).reduce((a, n) => a + n, 0);
      if (run.plan.overflowSpec === null) expect(lookups, id).toBe(run.total.packets - run.total.newFlows);
      else expect(lookups, id).toBeGreaterThanOrEqual(run.total.packets - run.total.newFlows);
    }
  }, 240_000);
});
