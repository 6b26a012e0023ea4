import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno, createMap } from '../../src/index.js';
import { readU32, u32 } from './helpers.js';

// htab_lru_map_update_elem: ANY, NOEXIST and EXIST only (BPF_F_LOCK too is
// `map_flags > BPF_EXIST`, -EINVAL); NOEXIST on a present key -EEXIST; EXIST
// on an absent key -ENOENT. A full LRU map never answers -E2BIG.
function lru() {
  return createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 2, nCpus: 2 });
}

describe('lru_hash update flags', () => {
  it('flags other than ANY, NOEXIST, EXIST are -EINVAL and change nothing', () => {
    const map = lru();
    for (const f of [BPF_F_LOCK, BPF_F_LOCK | BPF_EXIST, 3, 8, -1]) expect(map.updateU32(1, u32(1), f)).toBe(-Errno.EINVAL);
    expect(map.stats().entries).toBe(0);
  });

  it('NOEXIST on a present key is -EEXIST and keeps its value', () => {
    const map = lru();
    expect(map.updateU32(1, u32(10), BPF_NOEXIST)).toBe(0);
    expect(map.updateU32(1, u32(11), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    expect(readU32(map.lookup(u32(1))!)).toBe(10);
  });

  it('EXIST on an absent key is -ENOENT and inserts nothing', () => {
    const map = lru();
    expect(map.updateU32(1, u32(10), BPF_EXIST)).toBe(-Errno.ENOENT);
    expect(map.stats().entries).toBe(0);
  });

  it('EXIST and ANY replace a present key in place, without evicting in a full map', () => {
    const map = lru();
    expect(map.updateU32(1, u32(10))).toBe(0);
    expect(map.updateU32(2, u32(20))).toBe(0);
    expect(map.updateU32(1, u32(11), BPF_EXIST)).toBe(0);
    expect(map.updateU32(2, u32(21), BPF_ANY)).toBe(0);
    expect(readU32(map.lookup(u32(1))!)).toBe(11);
    expect(readU32(map.lookup(u32(2))!)).toBe(21);
    expect(map.stats()).toMatchObject({ entries: 2, evictions: 0 });
  });

  it('a full map takes NOEXIST and ANY inserts of new keys by evicting', () => {
    const map = lru();
    for (let k = 0; k < 10; k++) expect(map.updateU32(k, u32(k), k % 2 === 0 ? BPF_NOEXIST : BPF_ANY)).toBe(0);
    expect(map.stats()).toMatchObject({ entries: 2, evictions: 8 });
  });
});
