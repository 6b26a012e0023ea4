import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { hashKey } from '../../src/hash/hasher.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { filled, hex, keyOf, u32Of, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';
import { until } from '../support/threads.js';
import { RESIZE_MODES, settled, walk } from './modes.js';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread.
setLockChecks(true);

// Every HASH semantic (the kernel's htab: update flags, errors, full map,
// delete, getNextKey, whole-key compare, batches) holds for hash_resize too,
// with the table growing under the operations. Each test runs with the table
// resized synchronously (inline), by the callers (help) and by the deferred
// resizer thread; the last describe drives a resize step by step and runs the
// same operations while it is under way.

describe.each(RESIZE_MODES)('hash_resize keeps the HASH semantics ($mode)', ({ resize }) => {
  const make = useMaps();
  const map = (maxEntries: number, extra: object = {}) => make({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries, resize, ...extra });

  describe('update flags', () => {
    it('ANY inserts a new key and replaces an existing one', () => {
      const m = map(64);
      expect(m.update(keyOf(1), filled(7, 8), BPF_ANY)).toBe(0);
      expect(m.lookup(keyOf(1))).toEqual(filled(7, 8));
      expect(m.update(keyOf(1), filled(8, 8), BPF_ANY)).toBe(0);
      expect(m.lookup(keyOf(1))).toEqual(filled(8, 8));
      expect(m.stats().entries).toBe(1);
    });

    it('NOEXIST inserts a new key; on an existing one it is -EEXIST and keeps the old value', () => {
      const m = map(64);
      expect(m.update(keyOf(2), filled(3, 8), BPF_NOEXIST)).toBe(0);
      expect(m.update(keyOf(2), filled(9, 8), BPF_NOEXIST)).toBe(-Errno.EEXIST);
      expect(m.lookup(keyOf(2))).toEqual(filled(3, 8));
      expect(m.stats().entries).toBe(1);
    });

    it('EXIST replaces an existing key; on a missing one it is -ENOENT and inserts nothing', () => {
      const m = map(64);
      m.update(keyOf(1), filled(7, 8));
      expect(m.update(keyOf(1), filled(5, 8), BPF_EXIST)).toBe(0);
      expect(m.lookup(keyOf(1))).toEqual(filled(5, 8));
      expect(m.update(keyOf(2), filled(5, 8), BPF_EXIST)).toBe(-Errno.ENOENT);
      expect(m.lookup(keyOf(2))).toBeUndefined();
      expect(m.stats().entries).toBe(1);
    });

    it('BPF_F_LOCK may be or-ed into ANY, NOEXIST and EXIST', () => {
      const m = map(64);
      expect(m.update(keyOf(1), filled(1, 8), BPF_F_LOCK)).toBe(0);
      expect(m.update(keyOf(1), filled(2, 8), BPF_F_LOCK | BPF_NOEXIST)).toBe(-Errno.EEXIST);
      expect(m.update(keyOf(1), filled(3, 8), BPF_F_LOCK | BPF_EXIST)).toBe(0);
      expect(m.update(keyOf(2), filled(4, 8), BPF_F_LOCK | BPF_EXIST)).toBe(-Errno.ENOENT);
      expect(m.update(keyOf(2), filled(5, 8), BPF_F_LOCK | BPF_NOEXIST)).toBe(0);
      expect(m.lookup(keyOf(1))).toEqual(filled(3, 8));
      expect(m.lookup(keyOf(2))).toEqual(filled(5, 8));
    });

    it('flags outside {0, 1, 2, 4, 5, 6} are -EINVAL and change nothing', () => {
      const m = map(64);
      m.update(keyOf(1), filled(7, 8));
      for (const f of [3, 7, 8, 16, -1, 2 ** 32, 0.5, Number.NaN]) {
        expect(m.update(keyOf(1), filled(9, 8), f), `flags ${f} on an existing key`).toBe(-Errno.EINVAL);
        expect(m.update(keyOf(2), filled(9, 8), f), `flags ${f} on a new key`).toBe(-Errno.EINVAL);
      }
      expect(m.lookup(keyOf(1))).toEqual(filled(7, 8));
      expect(m.lookup(keyOf(2))).toBeUndefined();
      expect(m.stats().entries).toBe(1);
    });

    it('failed updates leave every value and the entry count as they were, across growth', () => {
      const m = map(256);
      // 40 keys from 4 buckets: several grows happened on the way.
      for (let i = 0; i < 40; i++) expect(m.update(keyOf(i), valueOf(i, 8))).toBe(0);
      expect(m.update(keyOf(0), filled(99, 8), BPF_NOEXIST)).toBe(-Errno.EEXIST);
      expect(m.update(keyOf(500), filled(99, 8), BPF_EXIST)).toBe(-Errno.ENOENT);
      expect(m.update(keyOf(1), filled(99, 8), 3)).toBe(-Errno.EINVAL);
      expect(m.stats().entries).toBe(40);
      for (let i = 0; i < 40; i++) expect(m.lookup(keyOf(i))).toEqual(valueOf(i, 8));
      expect(m.lookup(keyOf(500))).toBeUndefined();
    });

    it('the numeric-key path is the same key as its 4 little-endian bytes', () => {
      const m = map(64);
      expect(m.updateU32(0x04030201, filled(6, 8), BPF_NOEXIST)).toBe(0);
      expect(m.lookup(new Uint8Array([1, 2, 3, 4]))).toEqual(filled(6, 8));
      expect(m.update(new Uint8Array([1, 2, 3, 4]), filled(8, 8), BPF_NOEXIST)).toBe(-Errno.EEXIST);
      expect(m.deleteU32(0x04030201)).toBe(0);
      expect(m.lookupU32Into(0x04030201, new Uint8Array(8))).toBe(-Errno.ENOENT);
    });
  });

  describe('full map (maxEntries is a hard bound on entries)', () => {
    const MAX = 5;
    const full = () => {
      const m = map(MAX);
      for (let i = 0; i < MAX; i++) expect(m.update(keyOf(i), filled(i, 8), BPF_NOEXIST)).toBe(0);
      return m;
    };

    it('a new key is -E2BIG with ANY and NOEXIST, -ENOENT with EXIST, and is not inserted', () => {
      const m = full();
      expect(m.update(keyOf(100), filled(1, 8), BPF_ANY)).toBe(-Errno.E2BIG);
      expect(m.update(keyOf(100), filled(1, 8), BPF_NOEXIST)).toBe(-Errno.E2BIG);
      expect(m.update(keyOf(100), filled(1, 8), BPF_EXIST)).toBe(-Errno.ENOENT);
      expect(m.lookup(keyOf(100))).toBeUndefined();
      expect(m.stats().entries).toBe(MAX);
      for (let i = 0; i < MAX; i++) expect(m.lookup(keyOf(i))).toEqual(filled(i, 8));
    });

    it('replacing an existing key with ANY or EXIST still succeeds when full', () => {
      const m = full();
      expect(m.update(keyOf(2), filled(77, 8), BPF_ANY)).toBe(0);
      expect(m.update(keyOf(3), filled(88, 8), BPF_EXIST)).toBe(0);
      expect(m.lookup(keyOf(2))).toEqual(filled(77, 8));
      expect(m.lookup(keyOf(3))).toEqual(filled(88, 8));
      expect(m.stats().entries).toBe(MAX);
    });

    it('after a delete there is room for exactly one new key, round after round', () => {
      const m = full();
      const present = Array.from({ length: MAX }, (_, i) => i);
      for (let round = 0; round < 10; round++) {
        expect(m.delete(keyOf(present.shift()!))).toBe(0);
        present.push(1000 + round);
        expect(m.update(keyOf(1000 + round), filled(1, 8), BPF_NOEXIST)).toBe(0);
        expect(m.update(keyOf(2000 + round), filled(1, 8), BPF_NOEXIST)).toBe(-Errno.E2BIG);
        expect(m.stats().entries).toBe(MAX);
      }
    });
  });

  describe('delete and lookupAndDelete', () => {
    it('delete of a missing key is -ENOENT; of a present one removes it and only it', () => {
      const m = map(64);
      expect(m.delete(keyOf(1))).toBe(-Errno.ENOENT);
      for (let i = 0; i < 20; i++) m.update(keyOf(i), valueOf(i, 8));
      expect(m.delete(keyOf(1))).toBe(0);
      expect(m.delete(keyOf(1))).toBe(-Errno.ENOENT);
      expect(m.lookup(keyOf(1))).toBeUndefined();
      for (let i = 0; i < 20; i++) if (i !== 1) expect(m.lookup(keyOf(i))).toEqual(valueOf(i, 8));
      expect(m.stats().entries).toBe(19);
    });

    it('lookupAndDelete returns the value and removes the key; of a missing key, nothing', () => {
      const m = map(64);
      m.update(keyOf(3), filled(33, 8));
      m.update(keyOf(4), filled(44, 8));
      expect(m.lookupAndDelete(keyOf(3))).toEqual(filled(33, 8));
      expect(m.lookup(keyOf(3))).toBeUndefined();
      expect(m.lookup(keyOf(4))).toEqual(filled(44, 8));
      const out = filled(0xee, 8);
      expect(m.lookupAndDeleteInto(keyOf(3), out)).toBe(-Errno.ENOENT);
      expect(out).toEqual(filled(0xee, 8));
      expect(m.stats().entries).toBe(1);
    });

    it('deleting everything from a grown map leaves it empty, and deleted keys can come back', () => {
      const m = map(512);
      for (let i = 0; i < 300; i++) expect(m.update(keyOf(i), valueOf(i, 8))).toBe(0);
      for (let i = 0; i < 300; i++) expect(m.delete(keyOf(i))).toBe(0);
      expect(m.stats().entries).toBe(0);
      expect(walk(m).keys).toEqual([]);
      expect(m.update(keyOf(5), filled(6, 8))).toBe(0);
      expect(m.lookup(keyOf(5))).toEqual(filled(6, 8));
    });
  });

  describe('getNextKey', () => {
    const N = 50;
    const filledMap = (extra: object = {}) => {
      const m = map(64, extra);
      for (let i = 0; i < N; i++) m.update(keyOf(i * 7919), filled(i, 8));
      return m;
    };

    it('on an empty map reports -ENOENT at once', () => {
      const m = map(64);
      expect(m.getNextKey(null, new Uint8Array(4))).toBe(-Errno.ENOENT);
      expect(m.getNextKey(keyOf(5), new Uint8Array(4))).toBe(-Errno.ENOENT);
    });

    it('null or a missing key gives the first key; the walk visits every key once, then -ENOENT', async () => {
      const m = filledMap();
      await settled(m);
      const first = new Uint8Array(4);
      expect(m.getNextKey(null, first)).toBe(0);
      const again = new Uint8Array(4);
      expect(m.getNextKey(keyOf(123456789), again)).toBe(0);
      expect(again).toEqual(first);
      const { keys, end } = walk(m);
      expect(end).toBe(-Errno.ENOENT);
      expect(keys[0]).toEqual(first);
      expect(new Set(keys.map(u32Of))).toEqual(new Set(Array.from({ length: N }, (_, i) => i * 7919)));
      expect(keys).toHaveLength(N);
      expect(m.getNextKey(keys[N - 1]!, new Uint8Array(4))).toBe(-Errno.ENOENT);
    });

    it('updating values in place during the walk does not disturb it', async () => {
      const m = filledMap();
      await settled(m);
      const before = walk(m).keys;
      const { keys, end } = walk(m, (k) => expect(m.update(k, filled(0xff, 8), BPF_EXIST)).toBe(0));
      expect(end).toBe(-Errno.ENOENT);
      expect(keys).toEqual(before);
      for (const k of keys) expect(m.lookup(k)).toEqual(filled(0xff, 8));
    });

    it('with zeroSeed, two maps filled the same way iterate in the same order', async () => {
      const a = filledMap({ flags: { zeroSeed: true } });
      const b = filledMap({ flags: { zeroSeed: true } });
      await settled(a);
      await settled(b);
      expect(b.stats().buckets).toBe(a.stats().buckets);
      const wa = walk(a).keys;
      expect(wa).toHaveLength(N);
      expect(walk(b).keys).toEqual(wa);
    });
  });

  describe('whole-key compare', () => {
    for (const keySize of [1, 3, 4, 7, 16, 17, 33, 64]) {
      it(`keys of ${keySize} bytes differing in one byte, at every position, are different keys`, () => {
        const m = make({ type: 'hash_resize', keySize, valueSize: 4, maxEntries: keySize + 1, resize, flags: { zeroSeed: true } });
        const base = new Uint8Array(keySize).fill(0x5a);
        expect(m.update(base, filled(0xff), BPF_NOEXIST)).toBe(0);
        for (let pos = 0; pos < keySize; pos++) {
          const k = base.slice();
          k[pos] ^= 0x01;
          expect(m.lookup(k), `byte ${pos} differs: not the base key`).toBeUndefined();
          expect(m.update(k, filled(pos), BPF_NOEXIST), `byte ${pos}`).toBe(0);
        }
        expect(m.stats().entries).toBe(keySize + 1);
        expect(m.lookup(base)).toEqual(filled(0xff));
        for (let pos = 0; pos < keySize; pos++) {
          const k = base.slice();
          k[pos] ^= 0x01;
          expect(m.lookup(k)).toEqual(filled(pos));
        }
      });
    }
  });

  describe('batches', () => {
    it('lookupBatch returns every entry once, whole buckets at a time, for every count', async () => {
      const m = map(256);
      for (let i = 0; i < 100; i++) m.update(keyOf(i), valueOf(i, 8));
      await settled(m);
      const buckets = m.stats().buckets;
      const bucketOf = (k: Uint8Array) => hashKey(k, (m as HashResizeMap).header.seed) & (buckets - 1);
      for (const count of [7, 16, 100, 1000]) {
        const seen: string[] = [];
        let cursor: number | null = null;
        for (let calls = 0; calls < 200; calls++) {
          const r = m.lookupBatch(cursor, count);
          expect([0, -Errno.ENOENT]).toContain(r.err);
          expect(r.count).toBeLessThanOrEqual(count);
          const got = new Set(r.keys.map(hex));
          for (const k of r.keys) {
            for (let j = 0; j < 100; j++) if (bucketOf(keyOf(j)) === bucketOf(k)) expect(got.has(hex(keyOf(j)))).toBe(true);
          }
          r.keys.forEach((k, i) => expect(r.values[i]).toEqual(valueOf(u32Of(k), 8)));
          seen.push(...r.keys.map(hex));
          if (r.err === -Errno.ENOENT) {
            expect(r.cursor).toBeNull();
            break;
          }
          cursor = r.cursor;
        }
        expect(seen.sort()).toEqual(Array.from({ length: 100 }, (_, i) => hex(keyOf(i))).sort());
      }
    });

    it('count 0 returns nothing; bad flags are -EINVAL; an empty map is -ENOENT at once', () => {
      const m = map(64);
      expect(m.lookupBatch(null, 4)).toMatchObject({ err: -Errno.ENOENT, count: 0, cursor: null });
      for (let i = 0; i < 10; i++) m.update(keyOf(i), valueOf(i, 8));
      expect(m.lookupBatch(null, 0)).toMatchObject({ err: 0, count: 0 });
      expect(m.lookupBatch(null, 10, { flags: 1 }).err).toBe(-Errno.EINVAL);
      expect(m.lookupBatch(null, 10, { elemFlags: 1 }).err).toBe(-Errno.EINVAL);
      expect(m.lookupAndDeleteBatch(null, 10, { flags: 2 }).err).toBe(-Errno.EINVAL);
      expect(m.stats().entries).toBe(10);
    });

    it('a first bucket larger than count is -ENOSPC with nothing copied', () => {
      // Fixed at 8 buckets (autoResize off), zero seed: three keys that share bucket 0.
      const m = make({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 8, flags: { zeroSeed: true }, resize: { ...resize, initialBuckets: 8, autoResize: false } });
      const inBucket0: number[] = [];
      for (let i = 1; inBucket0.length < 3; i++) if ((hashKey(keyOf(i), 0) & 7) === 0) inBucket0.push(i);
      for (const k of inBucket0) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
      for (const count of [1, 2]) expect(m.lookupBatch(null, count)).toMatchObject({ err: -Errno.ENOSPC, count: 0, keys: [] });
      expect(m.lookupBatch(null, 3)).toMatchObject({ err: -Errno.ENOENT, count: 3 });
    });

    it('lookupAndDeleteBatch removes exactly what it returns', async () => {
      const m = map(256);
      for (let i = 0; i < 100; i++) m.update(keyOf(i), valueOf(i, 8));
      await settled(m);
      const first = m.lookupAndDeleteBatch(null, 30);
      expect(first.err).toBe(0);
      for (const k of first.keys) expect(m.lookup(k)).toBeUndefined();
      expect(m.stats().entries).toBe(100 - first.count);
      const rest = m.lookupAndDeleteBatch(first.cursor, 1000);
      expect(rest.err).toBe(-Errno.ENOENT);
      expect(first.count + rest.count).toBe(100);
      [...first.keys, ...rest.keys].forEach((k, i) => expect([...first.values, ...rest.values][i]).toEqual(valueOf(u32Of(k), 8)));
      expect(m.stats().entries).toBe(0);
      // The shrink the drain's deletes called for is asked for once the walk completed.
      await until(() => (m.stats().shrinks as number) > 0 || m.stats().state === 'resizing', 20_000, 'a shrink after the drain');
    });

    it('updateBatch and deleteBatch stop at the first error with the number processed', () => {
      const m = map(4);
      const ks = [1, 2, 3, 4, 5, 6].map((k) => keyOf(k));
      expect(m.updateBatch(ks, [1, 2, 3, 4, 5, 6].map((k) => valueOf(k, 8)))).toEqual({ err: -Errno.E2BIG, count: 4 });
      expect(m.lookup(keyOf(5))).toBeUndefined();
      expect(m.updateBatch([keyOf(1)], [valueOf(9, 8)], { elemFlags: BPF_NOEXIST })).toEqual({ err: -Errno.EEXIST, count: 0 });
      expect(m.deleteBatch([keyOf(1), keyOf(2), keyOf(9), keyOf(4)])).toEqual({ err: -Errno.ENOENT, count: 2 });
      expect(m.lookup(keyOf(4))).toEqual(valueOf(4, 8));
      expect(m.stats().entries).toBe(2);
    });
  });
});

/**
 * A resize held half-way: autoResize off, the 'help' driver (nothing migrates
 * unless a caller does), one bucket per migration step. grow() starts it and
 * migrates one bucket; resizeStep() moves it on; operations that meet it under
 * the 'help' policy migrate their own bucket and complete.
 */
describe('hash_resize semantics while a resize is under way', () => {
  const make = useMaps();
  const held = (n: number, policy: 'help' | 'fail' = 'help') => {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { initialBuckets: 128, autoResize: false, driver: 'help', ebusyPolicy: policy, migrateBatch: 1 } }) as HashResizeMap;
    for (let i = 0; i < n; i++) expect(m.update(keyOf(i), valueOf(i, 8))).toBe(0);
    return m;
  };
  const finish = (m: HashResizeMap) => {
    while (m.resizeStep(1000) > 0);
    expect(m.stats().state).toBe('idle');
  };

  it('every operation keeps its result: lookups, flags, deletes, new keys', () => {
    const m = held(40);
    expect(m.grow()).toBe(0);
    m.resizeStep(10);
    expect(m.stats()).toMatchObject({ state: 'resizing', buckets: 128 });
    for (let i = 0; i < 40; i++) expect(m.lookup(keyOf(i))).toEqual(valueOf(i, 8));
    expect(m.lookup(keyOf(40))).toBeUndefined();
    expect(m.update(keyOf(3), filled(1, 8), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(m.update(keyOf(41), filled(1, 8), BPF_EXIST)).toBe(-Errno.ENOENT);
    expect(m.update(keyOf(4), filled(4, 8), BPF_EXIST)).toBe(0);
    expect(m.update(keyOf(42), filled(42, 8), BPF_NOEXIST)).toBe(0);
    expect(m.delete(keyOf(5))).toBe(0);
    expect(m.delete(keyOf(5))).toBe(-Errno.ENOENT);
    expect(m.lookupAndDelete(keyOf(6))).toEqual(valueOf(6, 8));
    finish(m);
    expect(m.stats()).toMatchObject({ buckets: 256, entries: 39, ebusy: 0 });
    expect(m.lookup(keyOf(4))).toEqual(filled(4, 8));
    expect(m.lookup(keyOf(42))).toEqual(filled(42, 8));
    expect(m.lookup(keyOf(5))).toBeUndefined();
    expect(m.lookup(keyOf(6))).toBeUndefined();
    expect(m.lookup(keyOf(7))).toEqual(valueOf(7, 8));
  });

  it('a getNextKey walk while the resize stands still visits every key exactly once', () => {
    const m = held(100);
    expect(m.grow()).toBe(0);
    m.resizeStep(30);
    const { keys, end } = walk(m);
    expect(end).toBe(-Errno.ENOENT);
    expect(keys.map(u32Of).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('a walk during which the resize moves on, bucket by bucket, visits every key exactly once', () => {
    const m = held(100);
    expect(m.grow()).toBe(0);
    // Migrating one bucket after each key: buckets are moved while the walk is inside them.
    const { keys, end } = walk(m, () => {
      if (m.stats().resizing && (m.stats().resizing as { migrated: number; of: number }).migrated < 127) m.resizeStep(1);
    });
    expect(m.stats().state).toBe('resizing');
    expect(end).toBe(-Errno.ENOENT);
    expect(keys.map(u32Of).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('a walk across the end of a resize is best effort: what it repeats or skips shows in iterRestarts', () => {
    const m = held(100);
    expect(m.grow()).toBe(0);
    const restartsBefore = m.stats().iterRestarts as number;
    const { keys, end } = walk(m, (_k, i) => {
      if (i === 50) finish(m);
    });
    expect(end).toBe(-Errno.ENOENT);
    // The table changed under the walk: counted, whether or not this walk repeated or skipped.
    expect((m.stats().iterRestarts as number) - restartsBefore).toBeGreaterThanOrEqual(1);
    // Whatever it got, it never invents a key, and the 50 keys before the change were each seen once.
    for (const k of keys) expect(u32Of(k)).toBeLessThan(100);
    expect(new Set(keys.slice(0, 51).map(u32Of)).size).toBe(51);
  });

  it('lookupBatch while the resize stands still returns every entry once', () => {
    const m = held(100);
    expect(m.grow()).toBe(0);
    m.resizeStep(20);
    const r = m.lookupBatch(null, 1000);
    expect(r.err).toBe(-Errno.ENOENT);
    expect(r.keys.map(u32Of).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    r.keys.forEach((k, i) => expect(r.values[i]).toEqual(valueOf(u32Of(k), 8)));
  });

  it('a batch walk whose table changed between two calls counts a restart', () => {
    const m = held(100);
    const first = m.lookupBatch(null, 10);
    expect(first.err).toBe(0);
    const before = m.stats().iterRestarts as number;
    expect(m.lookupBatch(first.cursor, 10).err).toBe(0);
    expect(m.stats().iterRestarts).toBe(before);
    expect(m.grow()).toBe(0);
    finish(m);
    m.lookupBatch(first.cursor, 1000);
    expect(m.stats().iterRestarts).toBe(before + 1);
  });

  it.each(['help', 'fail'] as const)('lookupAndDeleteBatch during a resize removes exactly what it returns (policy %s)', (policy) => {
    const m = held(100, policy);
    expect(m.grow()).toBe(0);
    m.resizeStep(5);
    const got = new Set<number>();
    let cursor: number | null = null;
    for (let calls = 0; calls < 100; calls++) {
      const r = m.lookupAndDeleteBatch(cursor, 10);
      for (const k of r.keys) got.add(u32Of(k));
      if (r.err !== 0) {
        expect(r.err).toBe(-Errno.ENOENT);
        break;
      }
      cursor = r.cursor;
    }
    for (const k of got) expect(m.lookup(keyOf(k)), `key ${k} returned as deleted`).toBeUndefined();
    expect(m.stats().entries).toBe(100 - got.size);
    expect(got.size).toBe(100);
  });
});
