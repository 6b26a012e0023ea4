import { describe, expect, it } from 'vitest';
import { nextPowerOfTwo } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import type { Reply } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';

// Flood protection: maxEntries is a hard bound for hash_resize whatever the
// traffic. Two threads insert ten times maxEntries distinct keys between them;
// the map never holds more than maxEntries entries, never grows past the
// buckets maxEntries calls for, refuses the rest with -E2BIG, and verifies.

const MAX = 5000;
const FLOOD = 10 * MAX;

describe('hash_resize under a flood of distinct keys', () => {
  const setup = useThreadsAndMap();

  for (const driver of ['inline', 'help', 'deferred'] as const) {
    it(`${driver} driver: entries stay at most maxEntries, buckets at most the bound, the rest is -E2BIG`, async () => {
      const m = setup.map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: MAX, resize: { driver, ebusyPolicy: 'retry' } });
      const maxBuckets = nextPowerOfTwo(MAX);
      const fixture = new URL('./fixtures/flooder.mjs', import.meta.url);
      const workers = [0, 1].map((id) => setup.thread(fixture, { id, threads: 2, count: FLOOD / 2, maxBuckets }));
      const reports: Reply[] = await Promise.all(workers.map((w) => w.next(120_000, 'a flooder')));
      let ok = 0;
      let e2big = 0;
      for (const r of reports) {
        expect(r.over).toEqual([]);
        expect(r.maxEntriesSeen as number).toBeLessThanOrEqual(MAX);
        expect(r.maxBucketsSeen as number).toBeLessThanOrEqual(maxBuckets);
        const res = r.results as Record<string, number>;
        // One thread may win every free slot: each sees OK, -E2BIG, or both, nothing else.
        for (const name of Object.keys(res)) expect(['E2BIG', 'OK']).toContain(name);
        ok += res.OK ?? 0;
        e2big += res.E2BIG ?? 0;
      }
      expect(ok).toBe(MAX);
      expect(e2big).toBe(FLOOD - MAX);
      const s = m.stats();
      expect(s.entries).toBe(MAX);
      expect(s.buckets).toBeLessThanOrEqual(maxBuckets);
      expect(verify(m).problems).toEqual([]);
    }, 180_000);
  }
});
