import { describe, expect, it } from 'vitest';
import { program, useMachine } from './support/machine.js';

// CPUs pass a quiescent point between events, so a grace period started while
// they run ends while they still run (what a resizable map waits for before
// it frees an old table); after a run they are offline.
describe('quiescent points', () => {
  const { machine, map } = useMachine(2);
  const spec = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 } as const;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a grace period started during a run ends during it', async () => {
    const m = map(spec);
    const running = machine().run(program('lookups'), { maps: { m }, params: { keys: 16 }, durationMs: 20_000 });
    try {
      const d = machine().domain;
      // A counter is odd while its CPU is online and moves by 2 per event: a
      // CPU whose counter moved by 200 since it was first seen online is
      // running events (setup and the barrier wait do not move it).
      const first = d.snapshot();
      let snap = first;
      const inEvents = (s: Int32Array, c: number) => (s[c]! & 1) === 1 && (first[c]! & 1) === 1 && s[c]! - first[c]! >= 200;
      for (let i = 0; i < 2000 && !(inEvents(snap, 0) && inEvents(snap, 1)); i++) {
        await sleep(5);
        snap = d.snapshot();
        if ((first[0]! & 1) === 0 || (first[1]! & 1) === 0) first.set(snap);
      }
      expect(inEvents(snap, 0) && inEvents(snap, 1)).toBe(true);
      let over = d.graceOver(snap);
      for (let i = 0; i < 2000 && !over; i++) {
        await sleep(1);
        over = d.graceOver(snap);
      }
      expect(over).toBe(true);
      // Still online: the grace period ended by quiescent points, not because the CPUs left.
      const now = d.snapshot();
      expect(now[0]! & 1).toBe(1);
      expect(now[1]! & 1).toBe(1);
    } finally {
      machine().stop();
    }
    expect((await running).error).toBeUndefined();
  }, 30_000);

  it('after a run every CPU is offline', async () => {
    await machine().run(program('lookups'), { maps: { m: map(spec) }, params: { keys: 16 }, iterations: 100 });
    const snap = machine().domain.snapshot();
    expect(snap[0]! & 1).toBe(0);
    expect(snap[1]! & 1).toBe(0);
  });
});
