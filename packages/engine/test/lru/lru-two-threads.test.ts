import { describe, expect, it } from 'vitest';
import { createMap, type LruHashMap, type MapSpec } from '../../src/index.js';
import { iteratedKeys } from './helpers.js';
import { controlWords, startWorker } from './threads.js';

// Two CPUs (worker threads) insert fresh keys into one LRU map at once, with
// program lookups and deletes mixed in: no insert ever fails for lack of
// room, the map never holds more than maxEntries, and every element of the
// pool is accounted for afterwards (in use, free, or released).
const FIXTURE = new URL('./fixtures/lru-inserter.mjs', import.meta.url);
const PER_CPU = 20_000;

async function insertFromTwoCpus(spec: MapSpec) {
  const map = createMap(spec) as LruHashMap;
  const ctl = controlWords();
  const runs = [0, 1].map((cpu) => startWorker<{ fails: Record<string, number>; deletesOk: number; over: number; inserts: number }>(
    FIXTURE,
    { handle: map.handle, cpu, base: (cpu + 1) * 1_000_000, count: PER_CPU, ctl },
  ));
  const results = await Promise.all(runs.map((r) => r.result));
  return { map, results };
}

function checkAccounting(map: LruHashMap, results: { deletesOk: number; inserts: number }[]): void {
  const stats = map.stats();
  const keys = iteratedKeys(map);
  expect(keys.length).toBe(stats.entries);
  expect(stats.entries).toBeLessThanOrEqual(map.spec.maxEntries);
  // Every insert was of a new key: each one added an entry; evictions and
  // successful deletes are the only ways entries left.
  const inserts = results.reduce((a, r) => a + r.inserts, 0);
  const deletes = results.reduce((a, r) => a + r.deletesOk, 0);
  expect(stats.evictions).toBe(inserts - deletes - stats.entries);
  for (const c of map.lruCensus()) {
    expect(c.inUse + c.free).toBe(c.pool);
    expect(c.inUse).toBe(c.inUseCount);
    expect(c.free).toBe(c.freeCount);
    expect(c.inUse - c.released).toBe(c.entries);
  }
}

describe('LRU inserts from two CPUs', () => {
  it('common LRU: no insert fails, never more than maxEntries, every element accounted for', async () => {
    const { map, results } = await insertFromTwoCpus({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 64, nCpus: 2 });
    for (const r of results) expect(r).toMatchObject({ fails: {}, over: 0 });
    checkAccounting(map, results);
    // The last deletes may have left a hole or two; the map was full otherwise.
    expect(map.stats().entries).toBeGreaterThan(64 - 3);
  });

  it('per-CPU LRU lists: no insert fails, never more than maxEntries, every element accounted for', async () => {
    const { map, results } = await insertFromTwoCpus({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 64, nCpus: 2, flags: { noCommonLru: true } });
    for (const r of results) expect(r).toMatchObject({ fails: {}, over: 0 });
    checkAccounting(map, results);
  });

  it('a map of two entries shared by two inserting CPUs never fails an insert', async () => {
    const { map, results } = await insertFromTwoCpus({ type: 'lru_percpu_hash', keySize: 4, valueSize: 4, maxEntries: 2, nCpus: 2 });
    for (const r of results) expect(r).toMatchObject({ fails: {}, over: 0 });
    checkAccounting(map, results);
  });
});
