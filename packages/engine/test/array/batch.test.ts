import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { keyOf, u32Of, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// generic_map_lookup_batch on an array: the cursor is the next index, every
// index is returned once, the end is -ENOENT.
describe('ARRAY batch operations', () => {
  const make = useMaps();
  const N = 10;
  const array = () => {
    const m = make({ type: 'array', keySize: 4, valueSize: 8, maxEntries: N });
    for (let i = 0; i < N; i += 2) m.update(keyOf(i), valueOf(i, 8));
    return m;
  };
  const expected = (i: number) => (i % 2 === 0 ? valueOf(i, 8) : new Uint8Array(8));

  it('count 0 returns 0 and nothing', () => {
    expect(array().lookupBatch(null, 0)).toMatchObject({ err: 0, count: 0, keys: [], values: [], cursor: null });
  });

  for (const count of [1, 3, 4, 10, 11]) {
    it(`batches of ${count} walk every index once, in order, and end with -ENOENT`, () => {
      const m = array();
      const idx: number[] = [];
      let cursor: number | null = null;
      for (let calls = 0; calls <= N; calls++) {
        const r = m.lookupBatch(cursor, count);
        expect(r.count).toBe(r.keys.length);
        expect(r.count).toBeLessThanOrEqual(count);
        r.keys.forEach((k, j) => {
          idx.push(u32Of(k));
          expect(r.values[j]).toEqual(expected(u32Of(k)));
        });
        if (r.err === -Errno.ENOENT) {
          expect(r.cursor).toBeNull();
          break;
        }
        expect(r.err).toBe(0);
        cursor = r.cursor;
      }
      expect(idx).toEqual(Array.from({ length: N }, (_, i) => i));
    });
  }

  it('a cursor past the end is -ENOENT with nothing', () => {
    expect(array().lookupBatch(N, 4)).toMatchObject({ err: -Errno.ENOENT, count: 0, cursor: null });
  });

  it('unknown flags are -EINVAL', () => {
    const m = array();
    expect(m.lookupBatch(null, 4, { flags: 1 }).err).toBe(-Errno.EINVAL);
    expect(m.lookupBatch(null, 4, { elemFlags: 2 }).err).toBe(-Errno.EINVAL);
  });

  it('updateBatch rewrites entries and stops at the first index out of range', () => {
    const m = array();
    const r = m.updateBatch([keyOf(1), keyOf(3), keyOf(N), keyOf(5)], [valueOf(11, 8), valueOf(13, 8), valueOf(1, 8), valueOf(15, 8)]);
    expect(r).toEqual({ err: -Errno.E2BIG, count: 2 });
    expect(m.lookup(keyOf(1))).toEqual(valueOf(11, 8));
    expect(m.lookup(keyOf(3))).toEqual(valueOf(13, 8));
    expect(m.lookup(keyOf(5))).toEqual(new Uint8Array(8));
  });

  it('deleteBatch is -EINVAL at the first key (arrays cannot delete)', () => {
    const m = array();
    expect(m.deleteBatch([keyOf(0), keyOf(2)])).toEqual({ err: -Errno.EINVAL, count: 0 });
    expect(m.lookup(keyOf(0))).toEqual(valueOf(0, 8));
  });
});
