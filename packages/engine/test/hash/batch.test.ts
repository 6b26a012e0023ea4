import { describe, expect, it } from 'vitest';
import { BPF_F_LOCK, Errno } from '../../src/errno.js';
import { hashKey } from '../../src/hash/hasher.js';
import type { BpfMap } from '../../src/maps/map.js';
import { hex, keyOf, valueOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// The kernel's htab batch walk (__htab_map_lookup_and_delete_batch): the
// cursor is a bucket index, whole buckets are copied, a first bucket that does
// not fit is -ENOSPC, the end of the table is -ENOENT.

const BUCKETS = 8;

/** The bucket a key lands in, for a zeroSeed map of BUCKETS buckets. */
const bucketOf = (k: Uint8Array) => hashKey(k, 0) & (BUCKETS - 1);

/** `n` distinct keys that all land in bucket `b`. */
function keysInBucket(b: number, n: number, skip = new Set<number>()): number[] {
  const out: number[] = [];
  for (let i = 1; out.length < n; i++) if (!skip.has(i) && bucketOf(keyOf(i)) === b) out.push(i);
  return out;
}

describe.each(HASH_MODES)('HASH lookupBatch and lookupAndDeleteBatch ($mode)', ({ flags }) => {
  const make = useMaps();
  // maxEntries 8 gives 8 buckets: 8 keys over 8 buckets always collide somewhere.
  const tiny = () => make({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: BUCKETS, flags: { ...flags, zeroSeed: true } });

  /** A tiny map with 3 keys in bucket 2, 2 in bucket 5 and one in buckets 0, 6, 7. */
  function colliding(): { m: BpfMap; keys: number[] } {
    const m = tiny();
    const keys: number[] = [];
    for (const [b, n] of [[2, 3], [5, 2], [0, 1], [6, 1], [7, 1]] as const) keys.push(...keysInBucket(b, n, new Set(keys)));
    for (const k of keys) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    expect(m.stats().buckets).toBe(BUCKETS);
    return { m, keys };
  }

  it('count 0 returns 0 and nothing', () => {
    const { m } = colliding();
    const r = m.lookupBatch(null, 0);
    expect(r).toMatchObject({ err: 0, count: 0, keys: [], values: [], cursor: null });
    expect(m.stats().entries).toBe(8);
  });

  it('results come whole buckets at a time, for every count, and together hold every entry once', () => {
    const { m, keys } = colliding();
    for (let count = 3; count <= 9; count++) {
      const seen: string[] = [];
      let cursor: number | null = null;
      for (let calls = 0; calls < 20; calls++) {
        const r = m.lookupBatch(cursor, count);
        expect([0, -Errno.ENOENT], `count ${count}: ${r.err}`).toContain(r.err);
        expect(r.count).toBe(r.keys.length);
        expect(r.count).toBeLessThanOrEqual(count);
        // Whole buckets: every bucket touched by this batch is complete in it.
        const got = new Set(r.keys.map(hex));
        for (const k of r.keys) {
          const b = bucketOf(k);
          for (const other of keys.filter((x) => bucketOf(keyOf(x)) === b)) expect(got.has(hex(keyOf(other)))).toBe(true);
        }
        r.keys.forEach((k, i) => expect(r.values[i]).toEqual(valueOf(new DataView(k.buffer).getUint32(0, true), 8)));
        seen.push(...r.keys.map(hex));
        if (r.err === -Errno.ENOENT) {
          expect(r.cursor).toBeNull();
          break;
        }
        expect(r.cursor).not.toBeNull();
        cursor = r.cursor;
      }
      expect(seen.sort()).toEqual(keys.map((k) => hex(keyOf(k))).sort());
    }
  });

  it('a first bucket larger than count is -ENOSPC with nothing copied', () => {
    const m = tiny();
    for (const k of keysInBucket(0, 3)) m.update(keyOf(k), valueOf(k, 8));
    for (const count of [1, 2]) {
      const r = m.lookupBatch(null, count);
      expect(r.err).toBe(-Errno.ENOSPC);
      expect(r.count).toBe(0);
      expect(r.keys).toEqual([]);
    }
    expect(m.lookupBatch(null, 3)).toMatchObject({ err: -Errno.ENOENT, count: 3 });
  });

  it('a bucket that does not fit after others stops the batch with 0 and a cursor at that bucket', () => {
    const m = tiny();
    const k1 = keysInBucket(1, 1);
    const k4 = keysInBucket(4, 3);
    for (const k of [...k1, ...k4]) m.update(keyOf(k), valueOf(k, 8));
    const r = m.lookupBatch(null, 2);
    expect(r.err).toBe(0);
    expect(r.count).toBe(1);
    expect(r.keys).toEqual([keyOf(k1[0]!)]);
    expect(r.cursor).toBe(4);
    expect(m.lookupBatch(r.cursor, 2).err).toBe(-Errno.ENOSPC);
    const rest = m.lookupBatch(r.cursor, 3);
    expect(rest).toMatchObject({ err: -Errno.ENOENT, count: 3, cursor: null });
  });

  it('reaching the end is -ENOENT with the entries copied so far and a null cursor', () => {
    const { m, keys } = colliding();
    const r = m.lookupBatch(null, 100);
    expect(r.err).toBe(-Errno.ENOENT);
    expect(r.count).toBe(keys.length);
    expect(r.cursor).toBeNull();
    expect(new Set(r.keys.map(hex))).toEqual(new Set(keys.map((k) => hex(keyOf(k)))));
  });

  it('on an empty map, or with a cursor past the last bucket, is -ENOENT at once', () => {
    const m = tiny();
    expect(m.lookupBatch(null, 4)).toMatchObject({ err: -Errno.ENOENT, count: 0, cursor: null });
    m.update(keyOf(1), valueOf(1, 8));
    expect(m.lookupBatch(BUCKETS, 4)).toMatchObject({ err: -Errno.ENOENT, count: 0, cursor: null });
  });

  it('unknown flags or elemFlags are -EINVAL (elemFlags BPF_F_LOCK is accepted)', () => {
    const { m } = colliding();
    expect(m.lookupBatch(null, 10, { flags: 1 }).err).toBe(-Errno.EINVAL);
    expect(m.lookupBatch(null, 10, { elemFlags: 1 }).err).toBe(-Errno.EINVAL);
    expect(m.lookupBatch(null, 10, { elemFlags: 8 }).err).toBe(-Errno.EINVAL);
    expect(m.lookupAndDeleteBatch(null, 10, { flags: 2 }).err).toBe(-Errno.EINVAL);
    expect(m.stats().entries).toBe(8);
    expect(m.lookupBatch(null, 10, { elemFlags: BPF_F_LOCK }).count).toBe(8);
  });

  it('lookupAndDeleteBatch removes exactly what it returns', () => {
    const { m, keys } = colliding();
    const first = m.lookupAndDeleteBatch(null, 4);
    expect(first.err).toBe(0);
    expect(first.count).toBeGreaterThan(0);
    for (const k of first.keys) expect(m.lookup(k)).toBeUndefined();
    expect(m.stats().entries).toBe(keys.length - first.count);
    const rest = m.lookupAndDeleteBatch(first.cursor, 100);
    expect(rest.err).toBe(-Errno.ENOENT);
    expect(first.count + rest.count).toBe(keys.length);
    first.keys.concat(rest.keys).forEach((k, i) => {
      const v = i < first.count ? first.values[i] : rest.values[i - first.count];
      expect(v).toEqual(valueOf(new DataView(k.buffer).getUint32(0, true), 8));
    });
    expect(m.stats().entries).toBe(0);
    expect([...m.keys()]).toEqual([]);
  });
});
