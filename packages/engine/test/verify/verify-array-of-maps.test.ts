import { describe, expect, it } from 'vitest';
import { AOM_SEG_SLOTS, type ArrayOfMapsMap } from '../../src/maps/array-of-maps/array-of-maps.js';
import { BUCKET_WORDS, SEQ, type ChainedTable } from '../../src/maps/chained/table.js';
import type { HashMap } from '../../src/maps/hash/hash-map.js';
import { verify } from '../../src/verify/index.js';
import { u32 } from '../lru/helpers.js';
import { useMaps } from '../support/maps.js';

// verify() on array_of_maps: its slots, then every inner map it holds.

describe('verify: array_of_maps', () => {
  const make = useMaps();
  const inner = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 8 } as const;

  function outer(): { aom: ArrayOfMapsMap; a: HashMap } {
    const aom = make({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner }) as ArrayOfMapsMap;
    const a = make(inner) as HashMap;
    for (let k = 0; k < 5; k++) expect(a.updateU32(k, u32(k))).toBe(0);
    expect(aom.setInner(0, a)).toBe(0);
    expect(aom.setInner(2, a)).toBe(0);
    return { aom, a };
  }

  it('a healthy outer map and its inner map pass (an inner map held twice is checked once)', () => {
    const r = verify(outer().aom);
    expect(r.problems).toEqual([]);
    expect(r.checked).toMatchObject({ innerMaps: 1, 'inner.elements': 5 });
  });

  it("an inner map's damage is reported under its index, and a forged slot id too", () => {
    const { aom, a } = outer();
    const t: ChainedTable = a.table;
    Atomics.add(t.buckets, 1 * BUCKET_WORDS + SEQ, 1);
    const slots = new Int32Array(aom.segments.get(AOM_SEG_SLOTS));
    slots[3] = 999;
    const text = verify(aom).problems.join('\n');
    // destroy() (after the test) releases what the slots hold: no forged id there.
    slots[3] = 0;
    expect(text).toMatch(/inner map at index 0 .*bucket 1: seqlock \d+ is odd/);
    expect(text).toMatch(/index 3: slot id 999 was never handed out/);
  });
});
