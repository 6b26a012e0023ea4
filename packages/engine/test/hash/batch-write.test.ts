import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { keyOf, valueOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// The kernel's generic_map_update_batch / generic_map_delete_batch: one
// element at a time, stopping at the first error and reporting how many were done.
describe.each(HASH_MODES)('HASH updateBatch and deleteBatch ($mode)', ({ flags }) => {
  const make = useMaps();
  const hash = () => make({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, flags });

  it('updateBatch applies every pair and reports the count', () => {
    const m = hash();
    const ks = [1, 2, 3].map((k) => keyOf(k));
    expect(m.updateBatch(ks, [1, 2, 3].map((k) => valueOf(k, 8)))).toEqual({ err: 0, count: 3 });
    for (const k of [1, 2, 3]) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it('updateBatch stops at the first error with the number processed (E2BIG when full)', () => {
    const m = hash();
    const ks = [1, 2, 3, 4, 5, 6].map((k) => keyOf(k));
    const r = m.updateBatch(ks, [1, 2, 3, 4, 5, 6].map((k) => valueOf(k, 8)));
    expect(r).toEqual({ err: -Errno.E2BIG, count: 4 });
    expect(m.lookup(keyOf(5))).toBeUndefined();
    expect(m.lookup(keyOf(6))).toBeUndefined();
  });

  it('updateBatch with elemFlags NOEXIST stops at the first existing key', () => {
    const m = hash();
    m.update(keyOf(2), valueOf(0, 8));
    const r = m.updateBatch([keyOf(1), keyOf(2), keyOf(3)], [valueOf(1, 8), valueOf(2, 8), valueOf(3, 8)], { elemFlags: 1 });
    expect(r).toEqual({ err: -Errno.EEXIST, count: 1 });
    expect(m.lookup(keyOf(2))).toEqual(valueOf(0, 8));
    expect(m.lookup(keyOf(3))).toBeUndefined();
  });

  it('updateBatch with bad flags is -EINVAL with nothing processed', () => {
    const m = hash();
    expect(m.updateBatch([keyOf(1)], [valueOf(1, 8)], { elemFlags: 3 })).toEqual({ err: -Errno.EINVAL, count: 0 });
    expect(m.updateBatch([keyOf(1)], [valueOf(1, 8)], { flags: 1 })).toEqual({ err: -Errno.EINVAL, count: 0 });
    expect(m.stats().entries).toBe(0);
  });

  it('deleteBatch stops at the first missing key with the number processed', () => {
    const m = hash();
    for (const k of [1, 2, 4]) m.update(keyOf(k), valueOf(k, 8));
    const r = m.deleteBatch([keyOf(1), keyOf(2), keyOf(3), keyOf(4)]);
    expect(r).toEqual({ err: -Errno.ENOENT, count: 2 });
    expect(m.lookup(keyOf(1))).toBeUndefined();
    expect(m.lookup(keyOf(4))).toEqual(valueOf(4, 8));
    expect(m.stats().entries).toBe(1);
  });

  it('deleteBatch of present keys removes them all', () => {
    const m = hash();
    for (const k of [1, 2, 3]) m.update(keyOf(k), valueOf(k, 8));
    expect(m.deleteBatch([keyOf(3), keyOf(1)])).toEqual({ err: 0, count: 2 });
    expect([...m.keys()]).toEqual([keyOf(2)]);
  });
});
