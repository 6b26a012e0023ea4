import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import { verify } from '../../src/verify/index.js';
import { useMaps } from '../support/maps.js';
import { BUILT_ENGINE, FixtureWorker, until } from '../support/threads.js';
import { decodeValue, valueFor } from './fixtures/values.mjs';

// The element pool follows the entries down. Entries deleted all over the
// map leave every chunk sparse: the top chunk's few entries are relocated
// into lower chunks (under their bucket locks) until the chunks left are
// about what the entries need, and the emptied chunks are released after
// their grace period. A reader thread looking up stable keys meanwhile never
// misses one and never reads a torn or foreign value.

setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

const VALUE_SIZE = 16;
const STABLE = { from: 1_000_000, to: 1_000_200 };
const WRITER = 5;

describe('hash_resize element pool: relocation and release', () => {
  const make = useMaps();
  let reader: FixtureWorker | null = null;
  afterEach(async () => {
    await reader?.stop();
    reader = null;
  });

  it('sparse chunks are emptied and released while a reader looks up stable keys: nothing missed, nothing torn, memory follows', async () => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: VALUE_SIZE, maxEntries: 1 << 16, resize: { driver: 'inline' } }) as HashResizeMap;
    const pool = m.pool;
    for (let k = STABLE.from; k < STABLE.to; k++) expect(m.updateU32(k, valueFor(k, WRITER, 0, VALUE_SIZE))).toBe(0);
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const w = new FixtureWorker(new URL('./fixtures/stable-reader.mjs', import.meta.url), { handle: m.handle, ctlSab: ctl.buffer, cpu: 0, ...STABLE, writer: WRITER });
    reader = w;
    await w.request({ op: 'ready' }, 30_000);
    const run = w.request({ op: 'run', maxMs: 60_000 }, 90_000);
    const N = 12 * pool.chunk;
    let keep = 0;
    try {
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < N; k++) expect(m.updateU32(k, valueFor(k, 1, round, VALUE_SIZE))).toBe(0);
        const full = pool.bytes() / pool.chunkBytes;
        expect(full).toBeGreaterThanOrEqual(12);
        // Keep one key in 32, spread over every chunk.
        for (let k = 0; k < N; k++) if (k % 32 !== 0) expect(m.deleteU32(k)).toBe(0);
        keep = N / 32;
        // Released chunks wait for their grace period (the reader passes a
        // quiescent point every 64 lookups); stats() does the upkeep.
        const need = Math.ceil((keep + (STABLE.to - STABLE.from)) / pool.chunk) + 1;
        await until(
          () => {
            m.stats();
            return pool.bytes() / pool.chunkBytes <= need;
          },
          20_000,
          `round ${round}: the pool to come back to ${need} chunks`,
        );
        for (let k = 0; k < N; k += 32) expect(m.deleteU32(k)).toBe(0);
      }
    } finally {
      Atomics.store(ctl, 0, 1);
    }
    const r = await run;
    expect(r.lookups as number).toBeGreaterThan(1000);
    expect({ misses: r.misses, wrong: r.wrong }).toEqual({ misses: 0, wrong: 0 });
    const s = m.stats();
    expect(s.relocated as number).toBeGreaterThan(0);
    expect(s.chunksReleased as number).toBeGreaterThan(20);
    expect(s.entries).toBe(STABLE.to - STABLE.from);
    const out = new Uint8Array(VALUE_SIZE);
    for (let k = STABLE.from; k < STABLE.to; k++) {
      expect(m.lookupU32Into(k, out)).toBe(0);
      expect(decodeValue(out, k)?.writer).toBe(WRITER);
    }
    expect(m.lookupU32Into(0, out)).toBe(-Errno.ENOENT);
    expect(verify(m).problems).toEqual([]);
  }, 120_000);
});
