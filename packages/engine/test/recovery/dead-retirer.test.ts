import { RETIRE_SLOTS } from '../../src/maps/hash-resize/layout.js';
import { describe, expect, it } from 'vitest';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { ArrayOfMapsMap } from '../../src/maps/array-of-maps/array-of-maps.js';
import type { MapBase } from '../../src/maps/base.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from './support.js';

// The retire queue's passing states (a slot being filled, a slot being freed)
// name the thread in them. A thread killed there must not cost the slot for
// good: hash_resize has eight, and with all of them lost it could never
// resize again (-EBUSY for ever); array_of_maps would never release the inner
// map a cut-short free was releasing.

describe('a thread killed inside a retire-queue step', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  it('hash_resize: every slot left FILLING by the dead thread comes back; resizes go on and the bytes are right', async () => {
    const spec = { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4096, resize: { driver: 'inline', autoResize: false, initialBuckets: 256 } } as const;
    const m = map(spec) as HashResizeMap;
    const twin = map(spec) as HashResizeMap;
    for (const t of [m, twin]) for (let k = 0; k < 100; k++) expect(t.updateU32(k, key(k))).toBe(0);
    const doomed = cpu(m);
    expect(await run(doomed, { op: 'half-retire', mode: 'filling' })).toMatchObject({ slots: RETIRE_SLOTS });
    await kill(doomed, m);
    // The next write repairs; then three grow/shrink cycles need the slots.
    expect(m.updateU32(0, key(1000))).toBe(0);
    expect(twin.updateU32(0, key(1000))).toBe(0);
    for (const t of [m, twin]) {
      for (let i = 0; i < 3; i++) {
        expect(t.grow(), `grow ${i}`).toBe(0);
        t.reclaim();
        expect(t.shrink(), `shrink ${i}`).toBe(0);
        t.reclaim();
      }
    }
    expect(m.stats()).toMatchObject({ grows: 3, shrinks: 3, entries: 100 });
    expect(m.stats().bytes).toBe(twin.stats().bytes);
    expect(verify(m).problems).toEqual([]);
  });

  it('hash_resize: a slot left FREEING comes back and its table stops being counted', async () => {
    const spec = { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4096, resize: { driver: 'inline', autoResize: false, initialBuckets: 256 } } as const;
    const m = map(spec) as HashResizeMap;
    const twin = map(spec) as HashResizeMap;
    // The doomed CPU is online (and passes no quiescent point): the old table
    // of the grow waits for its grace period; the CPU starts freeing it and dies.
    const doomed = cpu(m);
    await run(doomed, { op: 'read', from: 0, to: 0 });
    for (const t of [m, twin]) {
      for (let k = 0; k < 100; k++) expect(t.updateU32(k, key(k))).toBe(0);
      expect(t.grow()).toBe(0);
    }
    expect(m.stats().pendingReclaim).toBe(1);
    expect(await run(doomed, { op: 'half-retire', mode: 'freeing' })).toMatchObject({ slots: 1 });
    await kill(doomed, m);
    expect(m.updateU32(0, key(1000))).toBe(0);
    expect(twin.updateU32(0, key(1000))).toBe(0);
    twin.reclaim();
    expect(m.stats().pendingReclaim).toBe(0);
    expect(m.stats().bytes).toBe(twin.stats().bytes);
    expect(verify(m).problems).toEqual([]);
  });

  it('array_of_maps: a free cut short is finished by the repair (the swapped-out inner map is destroyed)', async () => {
    const outer = map({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 8 } }) as ArrayOfMapsMap;
    const first = map({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 8 });
    const second = map({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 8 });
    expect(outer.setInner(0, first)).toBe(0);
    expect(outer.setInner(0, second)).toBe(0);
    expect(outer.stats().pendingRelease).toBe(1);
    const doomed = cpu(outer);
    expect(await run(doomed, { op: 'half-retire', mode: 'freeing' })).toMatchObject({ slots: 1 });
    await kill(doomed, outer);
    expect((first as MapBase).header.destroyed).toBe(false);
    // Any write repairs: here a delete of an empty index.
    outer.deleteU32(3);
    expect((first as MapBase).header.destroyed).toBe(true);
    expect(outer.stats()).toMatchObject({ pendingRelease: 0, innerMaps: 1 });
    expect((second as MapBase).header.destroyed).toBe(false);
    expect(verify(outer).problems).toEqual([]);
  });

  for (const at of ['before-retire', 'inside-retire'] as const) {
    it(`array_of_maps: a swap cut ${at.replace('-', ' ')} is redone whole by the next writer, and the old inner map is released`, async () => {
      const outer = map({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'array', keySize: 4, valueSize: 4, maxEntries: 8 } }) as ArrayOfMapsMap;
      const first = map({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 8 });
      const second = map({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 8 });
      expect(outer.setInner(0, first)).toBe(0);
      const doomed = cpu(outer);
      const cut = await run(doomed, { op: 'swap-hang', index: 0, inner: second.handle, at });
      expect(cut).toMatchObject({ cut: at });
      await kill(doomed, outer);
      // A userspace thread's slot: marked dead by whoever saw it go (docs/reliability.md).
      outer.domain.markDead(outer.domain.ownerSlot(cut.owner as number));
      // The next write takes the control lock over and redoes the swap.
      expect(outer.deleteU32(3)).toBe(-2);
      expect((outer.getInner(0) as MapBase).handle.id).toBe(second.handle.id);
      expect(outer.recoveryCounts().locksRecovered).toBe(1);
      // The old inner map waits for its grace period (the dead CPU does not hold it up), then goes.
      outer.reclaim();
      expect((first as MapBase).header.destroyed).toBe(true);
      expect(outer.stats()).toMatchObject({ innerMaps: 1, pendingRelease: 0, released: 1, swaps: 2 });
      expect(verify(outer).problems).toEqual([]);
    });
  }
});
