import { describe, expect, it } from 'vitest';
import { LINE_WORDS } from '../../src/memory/segments.js';
import type { LruHashMap } from '../../src/maps/lru/lru-hash-map.js';
import { L_ENTRIES, L_INUSE, NEWER } from '../../src/maps/lru/lru-lists.js';
import { verify } from '../../src/verify/index.js';
import { onCpu, u32 } from '../lru/helpers.js';
import { useMaps } from '../support/maps.js';

// verify() on the LRU types: the chains as for hash, plus every LRU list.

describe('verify: lru_hash and lru_percpu_hash', () => {
  const make = useMaps();

  function full(type: 'lru_hash' | 'lru_percpu_hash', noCommonLru = false): LruHashMap {
    const m = make({ type, keySize: 4, valueSize: 4, maxEntries: 16, nCpus: 2, flags: { noCommonLru } }) as LruHashMap;
    // Past maxEntries: every insert after the 16th evicts.
    for (let k = 0; k < 40; k++) onCpu(k & 1, () => expect(m.updateU32(k, u32(k))).toBe(0));
    for (let k = 30; k < 40; k += 2) expect(m.deleteU32(k)).toBe(0);
    return m;
  }

  for (const [type, noCommonLru] of [['lru_hash', false], ['lru_hash', true], ['lru_percpu_hash', false]] as const) {
    it(`a healthy ${type}${noCommonLru ? ' (per-CPU lists)' : ''} after evictions and deletes passes`, () => {
      const r = verify(full(type, noCommonLru));
      expect(r.problems).toEqual([]);
      expect(r.checked.elements).toBe(11);
    });
  }

  it('an element popped for an insert and never linked (leaked) is reported', () => {
    const m = full('lru_hash');
    expect(m.lru.pop(0, m.domain.ownerId(), true)).toBeGreaterThanOrEqual(0);
    expect(verify(m).problems.join('\n')).toMatch(/neither linked nor released \(leaked\)/);
  });

  it('a broken back link in the in-use list is reported', () => {
    const m = full('lru_hash');
    const { ew, stride } = m.lru;
    const e = ew.findIndex((_, i) => i % stride === 0 && ew[i + NEWER]! >= 0) / stride;
    ew[e * stride + NEWER] = -1;
    expect(verify(m).problems.join('\n')).toMatch(/YOUNG is|INUSE counter|links back/);
  });

  it('counters that disagree with the lists are reported', () => {
    const m = full('lru_hash');
    m.lru.ctl[L_ENTRIES] = m.lru.ctl[L_ENTRIES]! + 1;
    m.lru.ctl[L_INUSE] = m.lru.ctl[L_INUSE]! - 1;
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/ENTRIES counter/);
    expect(text).toMatch(/INUSE counter/);
  });

  it('a held list lock is reported', () => {
    const m = full('lru_hash', true);
    Atomics.store(m.lru.ctl, 1 * LINE_WORDS, 9);
    expect(verify(m).problems.join('\n')).toMatch(/LRU list 1: lock held by owner 9/);
  });
});
