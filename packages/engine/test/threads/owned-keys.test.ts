import { describe, expect, it } from 'vitest';
import { HASH_MODES } from '../support/maps.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';
import { keyBytes, valueBytes } from './fixtures/owned-keys-values.mjs';

const WORKERS = 2;
const KEYS = 1500;
const ROUNDS = 5;
const VALUE_SIZE = 24;
const STEP_MS = 30_000;

/**
 * The cross-thread scenario: a map made here, attached in 2 workers;
 * each worker owns the keys k with k % 2 === its id, inserts them with
 * NOEXIST and rewrites them with EXIST, both workers at once; this thread then
 * walks the map (every key once, every value the rewrite's), the workers
 * delete their keys, and the map is empty. Several rounds on the same map.
 */
describe.each(HASH_MODES)('a HASH map shared by 2 worker threads ($mode)', ({ flags }) => {
  const setup = useThreadsAndMap();

  it(`${ROUNDS} rounds: workers insert and rewrite their own keys, the main thread sees all of them, the workers delete them`, async () => {
    const m = setup.map({ type: 'hash', keySize: 4, valueSize: VALUE_SIZE, maxEntries: KEYS, flags });
    const fixture = new URL('./fixtures/owned-keys-worker.mjs', import.meta.url);
    const workers = Array.from({ length: WORKERS }, (_, id) => setup.thread(fixture, { id, workers: WORKERS, keys: KEYS, valueSize: VALUE_SIZE }));
    await Promise.all(workers.map((w) => w.request({ op: 'ready' }, STEP_MS)));

    for (let round = 0; round < ROUNDS; round++) {
      const inserted = await Promise.all(workers.map((w) => w.request({ op: 'insert', round }, STEP_MS)));
      for (const r of inserted) expect({ round, noexist: r.noexist, exist: r.exist }).toEqual({ round, noexist: [], exist: [] });

      expect(m.stats().entries).toBe(KEYS);
      const seen = new Set<number>();
      let wrong = 0;
      for (const k of m.keys()) {
        const n = new DataView(k.buffer).getUint32(0, true);
        expect(seen.has(n), `key ${n} walked twice`).toBe(false);
        seen.add(n);
        if (Buffer.compare(m.lookup(k)!, valueBytes(n, round, 1, VALUE_SIZE)) !== 0) wrong++;
      }
      expect(seen.size).toBe(KEYS);
      expect(wrong, `round ${round}: values that are not the EXIST rewrite`).toBe(0);
      expect(m.lookup(keyBytes(KEYS))).toBeUndefined();

      const deleted = await Promise.all(workers.map((w) => w.request({ op: 'delete' }, STEP_MS)));
      for (const r of deleted) expect({ round, failures: r.failures }).toEqual({ round, failures: [] });
      expect(m.stats().entries).toBe(0);
      expect([...m.keys()]).toEqual([]);
    }
  });
});
