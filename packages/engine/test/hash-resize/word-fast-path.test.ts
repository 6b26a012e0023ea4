import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { useMaps } from '../support/maps.js';
import { BUILT_ENGINE, FixtureWorker } from '../support/threads.js';
import { wordBytesFor } from './fixtures/values.mjs';

// The program fast path of a hash_resize lookup (4-byte keys and values, a
// CPU, no resize under way in the thread's view: HashResizeMap.lookupU32Into)
// aimed at its failure mode: a view gone stale between its plain test and
// the walk. A CPU thread looks up stable keys and keys never inserted while
// this thread forces grows and shrinks back to back (migrated here, the
// 'help' driver) and inserts and deletes other keys meanwhile, so that every
// lookup races a resize beginning, a bucket moving or a table being retired.
// Every stable key is found with its own value, no absent key is found.

const STABLE = { from: 1_000_000, to: 1_000_400 };
const ABSENT = { absentFrom: 2_000_000, absentTo: 2_000_400 };
const RESIZES = 120;
const DEADLINE_MS = 60_000;

describe('hash_resize u32 fast path under forced resizes', () => {
  const make = useMaps();
  let reader: FixtureWorker | null = null;
  afterEach(async () => {
    await reader?.stop();
    reader = null;
  });

  it(
    `${RESIZES} grows and shrinks: 0 misses of a stable key, 0 wrong values, 0 phantoms`,
    async () => {
      if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
      const m = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 1 << 14, resize: { driver: 'help', autoResize: false, initialBuckets: 512 } }) as HashResizeMap;
      for (let k = STABLE.from; k < STABLE.to; k++) expect(m.updateU32(k, wordBytesFor(k))).toBe(0);
      const ctl = new Int32Array(new SharedArrayBuffer(4));
      reader = new FixtureWorker(new URL('./fixtures/stable-reader.mjs', import.meta.url), { handle: m.handle, ctlSab: ctl.buffer, cpu: 0, ...STABLE, ...ABSENT, writer: 0 });
      await reader.request({ op: 'ready' }, 30_000);
      const run = reader.request({ op: 'run', maxMs: DEADLINE_MS }, DEADLINE_MS + 30_000);
      const churn = new Uint8Array(4);
      let dir: 'grow' | 'shrink' = 'grow';
      let churned = 0;
      try {
        const deadline = performance.now() + DEADLINE_MS;
        for (;;) {
          const s = m.stats();
          const resizes = (s.grows as number) + (s.shrinks as number);
          if (resizes >= RESIZES) break;
          if (performance.now() > deadline) throw new Error(`only ${resizes} resizes in ${DEADLINE_MS} ms`);
          const rc = dir === 'grow' ? m.grow() : m.shrink();
          if (rc === 0 || rc === -Errno.EBUSY) {
            // A resize started (or one still finishing: -EBUSY) is migrated from here. Half-way through each resize, keys come and go: inserts go to the future table, deletes find keys in either.
            for (let step = 0; m.resizeStep(1) > 0; step++) {
              const k = 3_000_000 + (churned++ % 500);
              if (step % 2 === 0) m.updateU32(k, churn);
              else m.deleteU32(k);
            }
          } else if (dir === 'grow' && rc === -Errno.E2BIG) dir = 'shrink';
          else if (dir === 'shrink' && rc === -Errno.EINVAL) dir = 'grow';
          else throw new Error(`${dir}() gave ${rc}`);
        }
      } finally {
        Atomics.store(ctl, 0, 1);
      }
      const r = await run;
      expect(r.thrown).toBeUndefined();
      expect(r.lookups as number).toBeGreaterThan(10_000);
      expect(r.absentLookups as number).toBeGreaterThan(1_000);
      expect({ misses: r.misses, wrong: r.wrong, phantoms: r.phantoms }).toEqual({ misses: 0, wrong: 0, phantoms: 0 });
      expect(churned).toBeGreaterThan(RESIZES);
    },
    DEADLINE_MS + 60_000,
  );
});
