import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// The start barrier: every CPU finishes setup (and warm-up) before any CPU
// runs its first event. CPU 1 sleeps 300 ms in setup; without the barrier,
// CPU 0 would have run thousands of events by then.
describe('the start barrier', () => {
  const { machine, map } = useMachine(2);

  it('no CPU starts its body before every CPU finished setup (recorded timestamps)', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('slow-setup'), { maps: { m }, params: { slowCpu: 1, slowMs: 300 }, iterations: 2000 });
    expect(r.error).toBeUndefined();
    const lastSetup = Math.max(...r.cpus.map((c) => c.setupDoneNs));
    const firstStart = Math.min(...r.cpus.map((c) => c.startNs));
    expect(lastSetup).toBeLessThan(firstStart);
    // The CPUs' own clocks agree: each one's first event (ctx.ktimeGetNs) came after the slow CPU's setup.
    for (const c of r.cpus) {
      const t = c.teardown as { first: number; last: number; cpu: number };
      expect(t.cpu).toBe(c.cpu);
      expect(t.first).toBeGreaterThan(lastSetup);
    }
  });

  it('a warm-up runs before the barrier and is not counted', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 });
    const r = await machine().run(program('slow-setup'), { maps: { m }, params: { slowCpu: -1, slowMs: 0 }, iterations: 500, warmupIterations: 300 });
    for (const c of r.cpus) {
      expect(c.iterations).toBe(500);
      expect(c.ops).toEqual({ lookupU32: 500 });
      // The first counted event came after the warm-up, so after setupDone.
      expect((c.teardown as { first: number }).first).toBeGreaterThan(c.setupDoneNs);
    }
  });
});
