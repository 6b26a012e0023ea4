import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { createMap } from '../../src/maps/registry.js';
import type { BpfMap } from '../../src/maps/map.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { BUILT_ENGINE, FixtureWorker, until } from '../support/threads.js';

// Memory follows the entries: 200 000 entries grow the table from 4 buckets
// to hundreds of thousands; once they are all deleted the deferred resizer
// shrinks it back, and after the grace period the old tables stop counting in
// stats().bytes and are no longer referenced, so V8 can free them.

const ENTRIES = 200_000;
const WAIT_MS = 60_000;

describe('hash_resize memory after 200 000 inserts and deletes (deferred driver)', () => {
  let maps: BpfMap[] = [];
  let workers: FixtureWorker[] = [];

  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    for (const m of maps.splice(0)) m.destroy();
  });

  it('stats().bytes comes back within 2x of a freshly created map once shrunk and past the grace period', async () => {
    const spec: MapSpec = { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: ENTRIES, resize: { driver: 'deferred', initialBuckets: 4 } };
    const fresh = createMap(spec);
    const m = createMap(spec);
    maps = [fresh, m];
    const freshBytes = fresh.stats().bytes;
    const value = new Uint8Array(4);
    const untilNotBusy = (op: () => number) => {
      for (let i = 0; i < 1_000_000; i++) {
        const rc = op();
        if (rc !== -Errno.EBUSY) return rc;
      }
      throw new Error('-EBUSY a million times in a row: the resizer does not progress');
    };
    for (let k = 0; k < ENTRIES; k++) {
      const rc = untilNotBusy(() => m.updateU32(k, value));
      if (rc !== 0) expect({ k, rc }).toEqual({ k, rc: 0 });
    }
    await until(() => m.stats().state === 'idle', WAIT_MS, 'the last grow to finish');
    const peak = m.stats();
    expect(peak.entries).toBe(ENTRIES);
    // The table really grew with the entries: every entry holds an element
    // (24 bytes for 4-byte keys and values) in a chunk allocated for it; a
    // table that reserved its bound up front would fail the end check.
    expect(peak.bytes).toBeGreaterThan(ENTRIES * 24);
    for (let k = 0; k < ENTRIES; k++) {
      const rc = untilNotBusy(() => m.deleteU32(k));
      if (rc !== 0) expect({ k, rc }).toEqual({ k, rc: 0 });
    }
    await until(
      () => {
        const s = m.stats();
        return s.buckets === 4 && s.state === 'idle' && s.pendingReclaim === 0;
      },
      WAIT_MS,
      'the table to shrink back to 4 buckets and its old tables to pass their grace period',
    );
    const end = m.stats();
    expect(end.entries).toBe(0);
    expect(end.shrinks as number).toBeGreaterThanOrEqual(15);
    expect(end.bytes).toBeLessThanOrEqual(2 * freshBytes);
  }, 4 * WAIT_MS);

  it('the released tables are no longer referenced: after a GC, weak references to them are cleared', async () => {
    // The probe thread creates its own map, so that every reference it could hold is its own.
    const probe = new FixtureWorker(new URL('./fixtures/gc-tables.mjs', import.meta.url), { entries: ENTRIES, initialBuckets: 4, waitMs: WAIT_MS });
    workers = [probe];
    const r = await probe.next(3 * WAIT_MS, 'the GC probe');
    expect(r.buckets).toBe(4);
    expect(r.bytes as number).toBeLessThanOrEqual(2 * (r.fresh as number));
    // It met many tables on the way (the grows and shrinks), and keeps only the current one.
    expect(r.tablesSeen as number).toBeGreaterThanOrEqual(10);
    expect(r.stillReferenced).toEqual([]);
    expect(r.viewsHeld).toEqual([r.currentTable]);
    expect(r.storeHolds).toEqual([r.currentTable]);
  }, 4 * WAIT_MS);
});
