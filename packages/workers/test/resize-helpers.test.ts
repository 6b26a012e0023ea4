import { describe, expect, it } from 'vitest';
import { BPF_ANY, Errno, type BpfMap, type HashResizeMap } from '@rightsize/engine';
import type { Machine } from '../dist/index.js';
import { program, useMachine } from './support/machine.js';

// grow/shrink (the talk's bpf_grow()/bpf_shrink()) from programs and scripts:
// results are the engine's, counted per CPU; a scripted update racing a
// resize gives the same results every time.
describe('the resize helpers', () => {
  const { machine, map } = useMachine(2);

  it('a HASH refuses grow and shrink with -EINVAL, counted per CPU', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64 });
    const r = await machine().run(program('resize'), { maps: { m }, iterations: 10 });
    expect(r.error).toBeUndefined();
    for (const c of r.cpus) expect(c.results).toEqual({ updateU32: { OK: 8 }, grow: { EINVAL: 1 }, shrink: { EINVAL: 1 } });
  });

  it('on a hash_resize map every grow is 0 or -EBUSY (one resize at a time)', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4096, resize: { autoResize: false, driver: 'inline' } });
    const r = await machine().run(program('resize'), { maps: { m }, iterations: 100 });
    expect(r.error).toBeUndefined();
    const grow = r.total.results.grow!;
    expect((grow.OK ?? 0) + (grow.EBUSY ?? 0)).toBe(2);
    expect(grow.OK).toBeGreaterThanOrEqual(1);
    // However big the table got, the map holds exactly the inserts that returned 0.
    const updates = r.total.results.updateU32!;
    expect(Object.values(updates).reduce((a, b) => a + b, 0)).toBe(2 * 98);
    expect(m.stats().entries).toBe(updates.OK);
  });

  it('a program hints how many entries are coming: the adaptive controller makes room in one resize, logged as a hint; a HASH says -EINVAL', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 100_000, resize: { controller: 'adaptive', driver: 'inline' } }) as HashResizeMap;
    const r = await machine().run(program('hint'), { maps: { m }, iterations: 50, params: { expect: 20_000 } });
    expect(r.error).toBeUndefined();
    expect(r.total.results.resizeHint).toEqual({ OK: 2 });
    const hints = m.decisionLog().records.filter((d) => d.reason === 'hint');
    expect(hints.length).toBeGreaterThanOrEqual(1);
    // One hint resize grows by up to 8x at once (the floor takes the first step from 4 buckets to 32).
    expect(hints.some((d) => d.to >= 8 * d.from)).toBe(true);
    const h = map({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 256 });
    const rh = await machine().run(program('hint'), { maps: { m: h }, iterations: 5, params: { expect: 100 } });
    expect(rh.total.results.resizeHint).toEqual({ EINVAL: 2 });
  });

  /** CPU 0 starts a grow that migrates one bucket per call; CPU 1 meets the resize under way. */
  async function race(mc: Machine, m: BpfMap) {
    const s = await mc.script({ maps: { m }, cpus: [0, 1] });
    try {
      for (let k = 0; k < 3; k++) await s.on(0).update('m', k, new Uint8Array(4), BPF_ANY);
      await s.on(0).grow('m');
      await s.on(1).grow('m');
      for (let k = 10; k < 14; k++) await s.on(1).update('m', k, new Uint8Array(4), BPF_ANY);
      await s.on(0).lookup('m', 1);
      return s.log.map(({ cpu, op, result }) => ({ cpu, op, result }));
    } finally {
      await s.close();
    }
  }

  it('a scripted update racing a resize runs the same way twice', async () => {
    const spec = {
      type: 'hash_resize',
      keySize: 4,
      valueSize: 4,
      maxEntries: 1024,
      flags: { zeroSeed: true },
      resize: { initialBuckets: 4, autoResize: false, driver: 'help', migrateBatch: 1 },
    } as const;
    const first = await race(machine(), map(spec));
    const second = await race(machine(), map(spec));
    expect(second).toEqual(first);
    expect(first.filter((s) => s.op === 'grow').map((s) => s.result)).toEqual([0, -Errno.EBUSY]);
    expect(first.at(-1)!.result).toEqual({ result: 0, value: new Uint8Array(4) });
  }, 30_000);
});
