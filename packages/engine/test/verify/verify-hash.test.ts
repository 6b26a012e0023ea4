import { describe, expect, it } from 'vitest';
import { HashMap } from '../../src/maps/hash/hash-map.js';
import type { BucketIndex, ElementId } from '../../src/maps/chained/ids.js';
import { AUX, HASH, NEXT, nullsOf } from '../../src/maps/chained/layout.js';
import { BUCKET_WORDS, HEAD, LOCK, SEQ } from '../../src/maps/chained/table.js';
import { verify } from '../../src/verify/index.js';
import { keyOf, valueOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

// verify() on hash and percpu_hash: a healthy map passes, and each kind of
// damage a dead CPU or a bug could leave is reported (the checker must be
// able to fail, or its "ok" proves nothing).

const N = 40;

describe('verify: hash', () => {
  const make = useMaps();

  function filledMap(flags = {}, type: 'hash' | 'percpu_hash' = 'hash'): HashMap {
    const m = make({ type, keySize: 4, valueSize: 8, maxEntries: 64, nCpus: 2, flags }) as HashMap;
    for (let k = 0; k < N; k++) expect(m.update(keyOf(k), valueOf(k, m.userValueSize))).toBe(0);
    for (let k = 0; k < N; k += 3) expect(m.delete(keyOf(k))).toBe(0);
    return m;
  }

  /** A bucket holding at least two elements, and its chain. */
  function longChain(m: HashMap): { b: number; chain: number[] } {
    const t = m.table;
    for (let b = 0; b < t.nBuckets; b++) {
      const chain: number[] = [];
      for (let e = t.buckets[b * BUCKET_WORDS + HEAD]!; e >= 0; e = t.store.words(e)[t.store.base(e) + NEXT]!) chain.push(e);
      if (chain.length >= 2) return { b, chain };
    }
    throw new Error('no bucket with two elements');
  }

  for (const { mode, flags } of HASH_MODES) {
    it(`a healthy ${mode} map passes, with what it walked counted`, () => {
      const m = filledMap(flags);
      const r = verify(m);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.checked.elements).toBe(N - Math.ceil(N / 3));
      expect(r.checked.buckets).toBe(64);
    });
  }

  it('a healthy percpu_hash map passes', () => {
    expect(verify(filledMap({}, 'percpu_hash')).ok).toBe(true);
  });

  it('a cycle in a chain is reported, not followed forever', () => {
    const m = filledMap();
    const { chain } = longChain(m);
    const t = m.table;
    const last = chain[chain.length - 1]!;
    t.store.words(last)[t.store.base(last) + NEXT] = chain[0]!;
    expect(verify(m).problems.join('\n')).toMatch(/reached twice/);
  });

  it('a chain ending on another bucket\'s terminator is reported', () => {
    const m = filledMap();
    const { b, chain } = longChain(m);
    const t = m.table;
    const last = chain[chain.length - 1]!;
    t.store.words(last)[t.store.base(last) + NEXT] = nullsOf(b + 1);
    expect(verify(m).problems.join('\n')).toMatch(new RegExp(`bucket ${b}: chain ends on`));
  });

  it('an element whose hash does not match its key is reported', () => {
    const m = filledMap();
    const { chain } = longChain(m);
    const t = m.table;
    t.store.words(chain[0]!)[t.store.base(chain[0]!) + HASH] ^= 0x1000;
    expect(verify(m).problems.join('\n')).toMatch(/hashes to|selects bucket/);
  });

  it('a leaked element (taken from the pool, never linked) and the count it skews are reported', () => {
    const m = filledMap();
    expect(m.table.alloc.alloc(m.domain.ownerId())).toBeGreaterThanOrEqual(0);
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/neither linked nor free \(leaked\)/);
    expect(text).toMatch(/live count/);
  });

  it('a linked element on the free list (a double use) is reported', () => {
    const m = filledMap();
    const { chain } = longChain(m);
    const t = m.table;
    const e = chain[0]!;
    t.store.words(e)[t.store.base(e) + AUX] = t.alloc.freeHead();
    // The free-list head: the allocator's second control line (allocator.ts).
    t.alloc.ctl[t.alloc.at + 16] = e;
    expect(verify(m).problems.join('\n')).toMatch(/on the free list and linked/);
  });

  it('an odd bucket seqlock and a held bucket lock are reported', () => {
    const m = filledMap();
    const bk = m.table.buckets;
    Atomics.add(bk, 3 * BUCKET_WORDS + SEQ, 1);
    Atomics.store(bk, 5 * BUCKET_WORDS + LOCK, 7);
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/bucket 3: seqlock \d+ is odd/);
    expect(text).toMatch(/bucket 5: lock held by owner 7/);
  });

  it('the same key linked twice is reported', () => {
    const m = filledMap();
    const t = m.table;
    const h = t.hashOf(elementOf(m, 1));
    const e = t.alloc.alloc(m.domain.ownerId());
    t.linkNew((h & t.mask) as BucketIndex, e, h, new Int32Array([1]), new Uint8Array(8), 0, 8);
    expect(verify(m).problems.join('\n')).toMatch(/hold the same key/);
  });

  /** The element holding u32 key n. */
  function elementOf(m: HashMap, n: number): ElementId {
    const t = m.table;
    for (let b = 0; b < t.nBuckets; b++) {
      for (let e = t.buckets[b * BUCKET_WORDS + HEAD]! as ElementId; e >= 0; e = t.store.words(e)[t.store.base(e) + NEXT]! as ElementId) {
        const key = new Uint8Array(4);
        t.copyKey(e, key);
        if (new DataView(key.buffer).getUint32(0, true) === n) return e;
      }
    }
    throw new Error(`key ${n} not found`);
  }
});
