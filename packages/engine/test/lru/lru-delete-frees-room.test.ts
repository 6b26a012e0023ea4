import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/index.js';
import { iteratedKeys, u32 } from './helpers.js';

describe('lru_hash deletes', () => {
  it('deleting entries frees their room: re-inserting that many evicts nothing else', () => {
    const map = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 8, nCpus: 2 });
    for (let k = 0; k < 8; k++) expect(map.updateU32(k, u32(k))).toBe(0);
    for (const k of [1, 4, 6]) expect(map.deleteU32(k)).toBe(0);
    expect(map.stats().entries).toBe(5);
    for (const k of [101, 104, 106]) expect(map.updateU32(k, u32(k))).toBe(0);
    expect(iteratedKeys(map)).toEqual([0, 2, 3, 5, 7, 101, 104, 106]);
    expect(map.stats()).toMatchObject({ entries: 8, evictions: 0 });
  });

  it('lookupAndDeleteBatch frees the room of what it returns', () => {
    // zeroSeed: the same bucket layout every run, so the batch's size is reproducible.
    const map = createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 8, nCpus: 2, flags: { zeroSeed: true } });
    for (let k = 0; k < 8; k++) expect(map.updateU32(k, u32(k))).toBe(0);
    const got = map.lookupAndDeleteBatch(null, 3);
    expect(got.count).toBeGreaterThan(0);
    const left = iteratedKeys(map);
    expect(left.length).toBe(8 - got.count);
    for (let i = 0; i < got.count; i++) expect(map.updateU32(100 + i, u32(i))).toBe(0);
    expect(iteratedKeys(map)).toEqual([...left, ...Array.from({ length: got.count }, (_, i) => 100 + i)]);
    expect(map.stats()).toMatchObject({ entries: 8, evictions: 0 });
  });
});
