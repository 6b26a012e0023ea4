import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { createMap } from '../../src/maps/registry.js';
import type { BpfMap, MapStats } from '../../src/maps/map.js';
import type { EbusyPolicy } from '../../src/spec/map-spec.js';
import { BUILT_ENGINE, until } from '../support/threads.js';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread.
setLockChecks(true);

// A newcomer's first loop: the default spec, one synchronous loop of 65 536
// inserts from the initial 4 buckets, no event-loop turn anywhere. Small
// tables grow in the inserting thread and the deferred resizer, running
// from the map's creation, relinks the big ones while the loop goes on; the
// loop must not outrun them. Then every key is there, every delete works,
// and memory comes back.

const N = 65_536;
const WAIT_MS = 30_000;

describe.each(['fail', 'help'] as EbusyPolicy[])('a tight loop of %s-policy inserts on a default hash_resize', (ebusyPolicy) => {
  let maps: BpfMap[] = [];

  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });

  afterEach(() => {
    for (const m of maps.splice(0)) m.destroy();
  });

  it(
    `65 536 inserts: ${ebusyPolicy === 'fail' ? 'at least 99%' : 'all'} go in, all are found, all delete without -EBUSY, and the bytes come back within 2x of a fresh map`,
    async () => {
      const spec = { type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 1 << 20, resize: { ebusyPolicy } } as const;
      const fresh = createMap(spec);
      const m = createMap(spec) as HashResizeMap;
      maps = [fresh, m];
      const freshBytes = fresh.stats().bytes;
      const v = new Uint8Array(4);
      const dv = new DataView(v.buffer);
      const inserted = new Uint8Array(N);
      let ok = 0;
      const other: number[] = [];
      for (let k = 0; k < N; k++) {
        dv.setUint32(0, k ^ 0x5a5a5a5a, true);
        const rc = m.updateU32(k, v);
        if (rc === 0) {
          ok++;
          inserted[k] = 1;
        } else if (rc !== -Errno.EBUSY) other.push(rc);
      }
      expect(other).toEqual([]);
      if (ebusyPolicy === 'help') expect(ok).toBe(N);
      else expect(ok).toBeGreaterThanOrEqual(Math.ceil(0.99 * N));
      expect(m.stats().ebusy).toBe(N - ok);

      const out = new Uint8Array(4);
      const od = new DataView(out.buffer);
      let wrong = 0;
      for (let k = 0; k < N; k++) {
        const rc = m.lookupU32Into(k, out);
        if (inserted[k] ? rc !== 0 || od.getUint32(0, true) !== (k ^ 0x5a5a5a5a) >>> 0 : rc !== -Errno.ENOENT) wrong++;
      }
      expect(wrong).toBe(0);
      expect(m.stats().entries).toBe(ok);

      const deletes = new Map<number, number>();
      for (let k = 0; k < N; k++) {
        const rc = m.deleteU32(k);
        deletes.set(rc, (deletes.get(rc) ?? 0) + 1);
      }
      expect(Object.fromEntries(deletes)).toEqual(ok === N ? { 0: N } : { 0: ok, [-Errno.ENOENT]: N - ok });
      // The resizer may begin its next shrink (the table is still above the
      // minimum) between two stats() calls: what is checked is the one
      // snapshot in which the memory came back, read once.
      const settled: MapStats[] = [];
      await until(
        () => {
          const s = m.stats();
          if (s.state !== 'idle' || s.bytes > 2 * freshBytes) return false;
          settled.push(s);
          return true;
        },
        WAIT_MS,
        'the map to shrink back and let its memory go',
      );
      expect(settled).toHaveLength(1);
      expect(settled[0]).toMatchObject({ entries: 0, state: 'idle' });
      expect(settled[0]!.bytes).toBeLessThanOrEqual(2 * freshBytes);
    },
    2 * WAIT_MS,
  );
});

describe('memory during a grow', () => {
  let maps: BpfMap[] = [];
  afterEach(() => {
    for (const m of maps.splice(0)) m.destroy();
  });

  it('while 50 000 entries grow the table step by step, the bytes never pass the element pool plus two bucket arrays', () => {
    // The 'help' driver: each resize spans many inserts, so the bytes are
    // read while both bucket arrays exist.
    const m = createMap({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 1 << 20, resize: { driver: 'help', ebusyPolicy: 'help', migrateBatch: 8 } }) as HashResizeMap;
    maps = [m];
    const pool = m.pool;
    // What the map holds besides its element chunks and bucket arrays: the retire queue and the pool's directory.
    const fixed = m.stats().bytes - m.cur.bytes;
    const v = new Uint8Array(4);
    let worst = 0;
    let seenResizing = 0;
    for (let k = 0; k < 50_000; k++) {
      expect(m.updateU32(k, v)).toBe(0);
      const fut = m.fut;
      if (fut !== null) seenResizing++;
      const chunks = Math.ceil(pool.allocated() / pool.chunk);
      const arrays = 2 * Math.max(m.cur.bytes, fut?.bytes ?? 0);
      const bound = fixed + chunks * pool.chunkBytes + arrays;
      const held = m.header.heldBytes();
      worst = Math.max(worst, held / bound);
      if (held > bound) expect({ k, held, bound }).toEqual({ k, held: '<= bound' });
    }
    expect(seenResizing).toBeGreaterThan(1000);
    expect(worst).toBeLessThanOrEqual(1);
    // Relinked, not copied: the chunks hold one element per entry, whatever the resizes.
    expect(pool.bytes()).toBe(Math.ceil(50_000 / pool.chunk) * pool.chunkBytes);
  });
});
