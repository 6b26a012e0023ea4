import { describe, expect, it } from 'vitest';
import type { BpfMap } from '../../src/maps/map.js';
import type { ResizeDriver } from '../../src/spec/map-spec.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';
import { decodeValue } from './fixtures/values.mjs';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread and in its worker threads (they inherit the environment).
setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

// The kernel's rhashtable thread test (lib/test_rhashtable.c, threadfunc),
// adapted: from a table of 4 buckets, 2 threads insert 50 000 keys each (their
// own ranges), so the map grows through every size while both write; then they
// delete with strides 10, 9, ..., 1 (first the keys that are multiples of 10,
// then of 9 among the rest, ...), so it shrinks back while they delete. After
// every phase this thread checks that exactly the keys that should be there are.

const WORKERS = 2;
const PER_WORKER = 50_000;
const TOTAL = WORKERS * PER_WORKER;
const VALUE_SIZE = 16;
const STEP_MS = 60_000;

describe.each<ResizeDriver>(['deferred', 'help'])('2 threads insert then delete with strides, from 4 buckets (driver %s)', (driver) => {
  const setup = useThreadsAndMap();

  /** Keys that are absent but should be present, present but should not be, or hold a wrong value. */
  function check(m: BpfMap, alive: Uint8Array): { missing: number[]; phantom: number[]; wrong: number[] } {
    const out = new Uint8Array(VALUE_SIZE);
    const missing: number[] = [];
    const phantom: number[] = [];
    const wrong: number[] = [];
    for (let k = 0; k < TOTAL; k++) {
      const found = m.lookupU32Into(k, out) === 0;
      if (alive[k] === 1 && !found) missing.push(k);
      else if (alive[k] === 0 && found) phantom.push(k);
      else if (found && decodeValue(out, k)?.writer !== Math.floor(k / PER_WORKER)) wrong.push(k);
    }
    return { missing: missing.slice(0, 10), phantom: phantom.slice(0, 10), wrong: wrong.slice(0, 10) };
  }

  it('every key is found with its value after the inserts and exactly the remaining keys after each stride', async () => {
    const m = setup.map({ type: 'hash_resize', keySize: 4, valueSize: VALUE_SIZE, maxEntries: TOTAL, resize: { initialBuckets: 4, driver, ebusyPolicy: 'fail' } });
    expect(m.stats().buckets).toBe(4);
    const fixture = new URL('./fixtures/strides-worker.mjs', import.meta.url);
    const workers = Array.from({ length: WORKERS }, (_, id) => setup.thread(fixture, { id, base: id * PER_WORKER, count: PER_WORKER, valueSize: VALUE_SIZE }));
    await Promise.all(workers.map((w) => w.request({ op: 'ready' }, STEP_MS)));

    const inserted = await Promise.all(workers.map((w) => w.request({ op: 'insert' }, STEP_MS)));
    for (const r of inserted) expect({ done: r.done, failures: r.failures }).toEqual({ done: PER_WORKER, failures: [] });
    const alive = new Uint8Array(TOTAL).fill(1);
    expect(check(m, alive)).toEqual({ missing: [], phantom: [], wrong: [] });
    const afterInsert = m.stats();
    expect(afterInsert.entries).toBe(TOTAL);
    expect(afterInsert.grows as number).toBeGreaterThanOrEqual(10);
    let ebusy = inserted.reduce((s, r) => s + (r.ebusy as number), 0);

    let remaining = TOTAL;
    for (let stride = 10; stride >= 1; stride--) {
      const deleted = await Promise.all(workers.map((w) => w.request({ op: 'delete', stride }, STEP_MS)));
      let expectDeleted = 0;
      for (let k = 0; k < TOTAL; k++) {
        if (alive[k] === 1 && k % stride === 0) {
          alive[k] = 0;
          expectDeleted++;
        }
      }
      for (const r of deleted) expect({ stride, failures: r.failures }).toEqual({ stride, failures: [] });
      expect(deleted.reduce((s, r) => s + (r.done as number), 0)).toBe(expectDeleted);
      remaining -= expectDeleted;
      expect({ stride, ...check(m, alive) }).toEqual({ stride, missing: [], phantom: [], wrong: [] });
      // No key outside the checked range either: the count is exact.
      expect({ stride, entries: m.stats().entries }).toEqual({ stride, entries: remaining });
      ebusy += deleted.reduce((s, r) => s + (r.ebusy as number), 0);
    }
    expect(remaining).toBe(0);
    // Every EBUSY the threads met was counted by the map.
    expect(m.stats().ebusy).toBe(ebusy);
  }, 240_000);
});
