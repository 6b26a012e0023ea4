import { describe, expect, it } from 'vitest';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { LruHashMap } from '../../src/maps/lru/lru-hash-map.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from './support.js';

// An LRU insert takes its element before it takes any bucket lock, so a CPU
// can die holding an element and no lock at all: nobody takes anything over.
// The repair after a death (the map's next write) gives such an element back
// to its list: the pool stays whole, the map keeps maxEntries live entries.

describe('an element taken by a CPU that died holding no lock', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  it('lru_hash: the next write after the death gives it back; the map verifies and still holds maxEntries entries', async () => {
    const m = map({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 16 }) as LruHashMap;
    for (let k = 0; k < 10; k++) expect(m.updateU32(k, key(k))).toBe(0);
    const doomed = cpu(m);
    await run(doomed, { op: 'leak-pop' });
    await kill(doomed, m);
    expect(verify(m).problems.join('\n')).toMatch(/1 in-use element\(s\) neither linked nor released \(leaked\)/);
    expect(m.updateU32(10, key(10))).toBe(0);
    expect(m.recoveryCounts()).toMatchObject({ repairs: 1, elementsReclaimed: 1 });
    expect(verify(m).problems).toEqual([]);
    for (let k = 11; k < 40; k++) expect(m.updateU32(k, key(k))).toBe(0);
    expect(m.stats().entries).toBe(16);
    expect(verify(m).problems).toEqual([]);
  });

  it('lru_hash with per-CPU lists: a list whose only free element the dead CPU took still serves inserts', async () => {
    const m = map({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 2, nCpus: 2, flags: { noCommonLru: true } }) as LruHashMap;
    const doomed = cpu(m, 0);
    await run(doomed, { op: 'leak-pop' });
    await kill(doomed, m, 0);
    // List 0 has one element, taken by the dead CPU 0: the first insert finds none
    // (after its bounded wait), the repair at its end gives it back, the retry succeeds.
    const successor = cpu(m, 0);
    expect((await run(successor, { op: 'update', key: 1, fill: 1 })).rc).toBe(0);
    expect(verify(m).problems).toEqual([]);
  });
});
