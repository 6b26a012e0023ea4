import { afterEach, describe, expect, it } from 'vitest';
import { createMap } from '../../src/maps/registry.js';
import type { BpfMap, MapStats } from '../../src/maps/map.js';
import { FixtureWorker, until } from '../support/threads.js';

// After a fast decline of the entries (a burst of flows expiring), a shrink's
// smaller table must not come on top of the element chunks the entries no
// longer need: the deferred resizer first lets compaction free them, and
// holds the shrink while they wait for their grace period (Resizer.shrinkReady).
// A worker holding a read section keeps that grace period from ending, so
// the shrink must wait until it lets go.

const ENTRIES = 40_000;
const LEFT = 2_000;
const HOLD_MS = 400;

describe('hash_resize: a shrink waits for the memory the entries left', () => {
  let map: BpfMap | null = null;
  let holder: FixtureWorker | null = null;

  afterEach(async () => {
    await holder?.stop();
    holder = null;
    map?.destroy();
    map = null;
  });

  it('no shrink begins while released chunks wait for a held grace period, and the bytes never pass the full map', async () => {
    const m = createMap({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 2 * ENTRIES, resize: { driver: 'deferred', initialBuckets: 4 } });
    map = m;
    const value = new Uint8Array(4);
    for (let k = 0; k < ENTRIES; k++) {
      let rc = m.updateU32(k, value);
      for (let tries = 0; rc !== 0 && tries < 100_000; tries++) rc = m.updateU32(k, value);
      if (rc !== 0) expect({ k, rc }).toEqual({ k, rc: 0 });
    }
    await until(() => m.stats().state === 'idle', 20_000, 'the last grow to finish');
    const full = m.stats();
    holder = new FixtureWorker(new URL('./fixtures/read-holder.mjs', import.meta.url), { handle: m.handle });
    await holder.request({ op: 'hold' }, 10_000);

    for (let k = LEFT; k < ENTRIES; k++) expect(m.deleteU32(k)).toBe(0);
    let maxBytes = 0;
    const heldUntil = Date.now() + HOLD_MS;
    while (Date.now() < heldUntil) {
      const s = m.stats();
      maxBytes = Math.max(maxBytes, s.bytes);
      // Memory the resizer could not give back yet (released chunks in
      // their grace period) must not have a shrink's table on top of it.
      expect(s.shrinks).toBe(full.shrinks);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(maxBytes).toBeLessThanOrEqual(full.bytes);

    await holder.request({ op: 'release' }, 10_000);
    // The table a shrink replaced counts in the bytes until its own grace
    // period is over (a read section of any thread, the resizer's next batch
    // or this thread's stats(), may hold it a while): the bytes are checked
    // on the one stats() snapshot that shows a shrink done, no resize under
    // way and nothing waiting to be reclaimed.
    const settled: MapStats[] = [];
    await until(
      () => {
        const s = m.stats();
        if ((s.shrinks as number) <= (full.shrinks as number) || s.state !== 'idle' || s.pendingReclaim !== 0) return false;
        settled.push(s);
        return true;
      },
      20_000,
      'the shrink once the grace period ended, and the table it replaced reclaimed',
    );
    const after = settled[0]!;
    expect(after.entries).toBe(LEFT);
    expect(after.bytes).toBeLessThan(full.bytes / 2);
    const out = new Uint8Array(4);
    for (let k = 0; k < LEFT; k++) expect(m.lookupU32Into(k, out)).toBe(0);
  });
});
