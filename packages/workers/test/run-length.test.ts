import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// A run ends at its iteration count, at its duration, or at whichever comes first.
describe('run length', () => {
  const { machine, map } = useMachine(2);
  const spec = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 } as const;

  it('iterations: every CPU runs exactly that many events', async () => {
    const r = await machine().run(program('lookups'), { maps: { m: map(spec) }, params: { keys: 16 }, iterations: 12_345 });
    expect(r.cpus.map((c) => c.iterations)).toEqual([12_345, 12_345]);
    expect(r.cpus.map((c) => c.ops)).toEqual([{ lookupU32: 12_345 }, { lookupU32: 12_345 }]);
    expect(r.total).toMatchObject({ ops: 24_690, iterations: 24_690, results: { lookupU32: { ENOENT: 24_690 } } });
  });

  it('durationMs: every CPU runs until the deadline (not before it)', async () => {
    const r = await machine().run(program('lookups'), { maps: { m: map(spec) }, params: { keys: 16 }, durationMs: 150 });
    for (const c of r.cpus) {
      expect(c.iterations).toBeGreaterThan(0);
      expect(c.elapsedNs).toBeGreaterThanOrEqual(150e6);
      expect(c.opsPerSec).toBeCloseTo((c.ops.lookupU32! * 1e9) / c.elapsedNs, 6);
    }
    expect(r.elapsedNs).toBeGreaterThanOrEqual(Math.max(...r.cpus.map((c) => c.elapsedNs)));
  });

  it('both: the iteration count ends a run long before a far deadline', async () => {
    const r = await machine().run(program('lookups'), { maps: { m: map(spec) }, params: { keys: 16 }, iterations: 1000, durationMs: 60_000 });
    expect(r.cpus.map((c) => c.iterations)).toEqual([1000, 1000]);
  });
});
