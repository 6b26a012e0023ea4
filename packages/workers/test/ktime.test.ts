import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// ctx.ktimeGetNs() is ns since the run's epoch on one clock for every thread
// (process.hrtime.bigint, CLOCK_MONOTONIC): a CPU's events fall between its
// own recorded start and end, and the agent reads the same clock.
describe('ktimeGetNs', () => {
  const { machine, map } = useMachine(2);

  it("is on the run's clock: each CPU's events lie between its start and end, before the agent's now", async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('slow-setup'), { maps: { m }, params: { slowCpu: -1, slowMs: 0 }, iterations: 5000 });
    const agentNow = await (await machine().agent()).nowNs();
    for (const c of r.cpus) {
      const t = c.teardown as { first: number; last: number };
      expect(t.first).toBeGreaterThanOrEqual(c.startNs);
      expect(t.last).toBeGreaterThanOrEqual(t.first);
      expect(t.last).toBeLessThanOrEqual(c.endNs);
      expect(c.endNs).toBeLessThan(agentNow);
    }
    expect(machine().nowNs()).toBeGreaterThan(agentNow);
  });
});
