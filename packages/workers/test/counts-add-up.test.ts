import { describe, expect, it } from 'vitest';
import { BPF_ANY } from '@rightsize/engine';
import { program, u32Entries, useMachine } from './support/machine.js';

// Two CPUs increment shared per-key counters with atomicAdd (under the bucket
// lock): no increment is lost, so the map's counters add up to every CPU's
// events, and the per-CPU counts add up to the calls the CPUs made.
describe('per-CPU counts add up to the map contents', () => {
  const { machine, map } = useMachine(2);
  const ITER = 300 * 64;
  const KEYS = 64;

  it('atomicAdd on pre-populated counters gives the exact total per key', async () => {
    const counters = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: KEYS });
    for (let k = 0; k < KEYS; k++) counters.updateU32(k, new Uint8Array(4), BPF_ANY);
    const r = await machine().run(program('count-keys'), { maps: { counters }, params: { keys: KEYS }, iterations: ITER });
    expect(r.error).toBeUndefined();
    for (const c of r.cpus) expect(c.results).toEqual({ atomicAdd: { OK: ITER } });
    expect(r.total.ops).toBe(2 * ITER);
    const values = u32Entries(counters);
    expect(values.size).toBe(KEYS);
    // Each CPU's events hit key i % KEYS: ITER / KEYS (300) times per key per CPU.
    for (const v of values.values()) expect(v).toBe((2 * ITER) / KEYS);
  });

  it('insert-on-miss (NOEXIST, then add) loses no packet and inserts each key once', async () => {
    const counters = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: KEYS });
    const r = await machine().run(program('count-or-insert'), { maps: { counters }, params: { keys: KEYS }, iterations: ITER });
    expect(r.error).toBeUndefined();
    const t = r.total.results;
    // Exactly one NOEXIST insert per key succeeded; a racing CPU got -EEXIST.
    expect(t.update!.OK).toBe(KEYS);
    expect((t.update!.OK ?? 0) + (t.update!.EEXIST ?? 0)).toBe(t.atomicAdd!.ENOENT);
    // Every miss was followed by an insert and a second add.
    for (const c of r.cpus) expect(c.ops.update).toBe(c.results.atomicAdd!.ENOENT);
    expect(t.atomicAdd!.OK).toBe(2 * ITER);
    const values = u32Entries(counters);
    expect([...values.values()].reduce((a, b) => a + b, 0)).toBe(2 * ITER);
    for (const v of values.values()) expect(v).toBe((2 * ITER) / KEYS);
  });
});
