import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { hashKey } from '../../src/hash/hasher.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { keyOf } from '../support/bytes.js';
import { until } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread and in its worker threads (they inherit the environment).
setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

// A shrink to 4 buckets with 3 entries (the 0.75 watermark) leaves the
// future table room for exactly one more entry (100% load). Two inserts that
// race the shrink for it: exactly one goes in, the other gets -E2BIG (the
// resize under way completes first, under the 'help' policy, and the table
// is then full with automatic resizing off), the resize completes and the
// entries stay exact. Each interleaving that matters is reproduced
// deterministically with a worker paused at that point. A last test runs
// the same tight shrink thousands of times against two free-running
// inserters.

const BUCKETS = 8;
const bucketOf = (k: number) => hashKey(keyOf(k), 0) & (BUCKETS - 1);
const firstKey = (from: number, ok: (b: number) => boolean) => {
  let k = from;
  while (!ok(bucketOf(k))) k++;
  return k;
};
// Buckets 0, 1 and 2 are migrated first (one per step): the three permanent
// keys live in old buckets 4..6, the worker's key Y in old bucket 3, the main
// thread's key X in old bucket 0. In the 4-bucket table they land in buckets
// 0..2, 3 and 0: the worker's bucket is nobody else's, so whoever waits at a
// pause never waits for the worker's bucket lock.
const PERMANENT = [firstKey(1, (b) => b >= 4 && b <= 6)];
while (PERMANENT.length < 3) PERMANENT.push(firstKey(PERMANENT[PERMANENT.length - 1]! + 1, (b) => b >= 4 && b <= 6));
const Y = firstKey(2000, (b) => b === 3);
const X = firstKey(3000, (b) => b === 0);

describe('shrinking to a full table while inserts race it', () => {
  const setup = useThreadsAndMap();

  const tightMap = () => {
    const m = setup.map({
      type: 'hash_resize',
      keySize: 4,
      valueSize: 8,
      maxEntries: 64,
      flags: { zeroSeed: true },
      resize: { driver: 'help', ebusyPolicy: 'help', autoResize: false, initialBuckets: BUCKETS, migrateBatch: 1 },
    }) as HashResizeMap;
    for (const k of PERMANENT) expect(m.updateU32(k, new Uint8Array(8))).toBe(0);
    return m;
  };

  interface Interleaving {
    pauseAt: 'refresh' | 'insert' | 'after-alloc';
    /** Before the worker's insert starts. */
    before?: (m: HashResizeMap) => void;
    /** While the worker is paused. */
    meanwhile?: (m: HashResizeMap) => void;
    /** Right after letting the worker go on (it holds its element holdMs longer with 'after-alloc'). */
    afterGo?: (m: HashResizeMap) => void;
    /** After the worker's insert returned: this thread's insert of X, when it comes last (its result). */
    after?: (m: HashResizeMap) => number;
    holdMs?: number;
    /** Which insert wins the last room: the worker's (Y) or this thread's (X). */
    winner: 'X' | 'Y';
  }

  /** The worker inserts Y, paused once; the resize completes; the loser's insert got -E2BIG and nothing was lost. */
  async function pausedInsert(il: Interleaving) {
    const m = tightMap();
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const w = setup.thread(new URL('./fixtures/paused-insert-worker.mjs', import.meta.url), { ctlSab: ctl.buffer });
    await w.request({ op: 'ready' }, 30_000);
    il.before?.(m);
    const reply = w.request({ op: 'insert', key: Y, pauseAt: il.pauseAt, holdMs: il.holdMs ?? 0 }, 30_000);
    await until(() => Atomics.load(ctl, 0) === 1, 20_000, 'the worker at its pause');
    try {
      il.meanwhile?.(m);
    } finally {
      Atomics.store(ctl, 1, 1);
      Atomics.notify(ctl, 1);
    }
    il.afterGo?.(m);
    const r = await reply;
    expect(r.paused).toBe(true);
    const xRc = il.after?.(m);
    // Whatever is left of the resize: it must complete.
    while (m.resizeStep(1) > 0);
    const [winner, loser] = il.winner === 'X' ? [X, Y] : [Y, X];
    if (il.winner === 'X') expect(r.rc).toBe(-Errno.E2BIG);
    else {
      expect(r.rc).toBe(0);
      expect(xRc).toBe(-Errno.E2BIG);
    }
    expect(m.stats()).toMatchObject({ state: 'idle', buckets: 4, entries: 4 });
    for (const k of [...PERMANENT, winner]) expect(m.lookupU32Into(k, new Uint8Array(8)), `key ${k}`).toBe(0);
    expect(m.lookupU32Into(loser, new Uint8Array(8))).toBe(-Errno.ENOENT);
  }

  it('an insert that read the idle state just before the shrink began does not insert into the table being emptied', async () => {
    await pausedInsert({
      pauseAt: 'refresh',
      winner: 'X',
      meanwhile: (m) => {
        expect(m.shrink()).toBe(0);
        expect(m.updateU32(X, new Uint8Array(8))).toBe(0);
      },
    });
  });

  it('two inserts into the future table at once cannot both take its last room', async () => {
    await pausedInsert({
      pauseAt: 'insert',
      winner: 'X',
      before: (m) => expect(m.shrink()).toBe(0),
      meanwhile: (m) => expect(m.updateU32(X, new Uint8Array(8))).toBe(0),
    });
  });

  it('a migration that meets an insert holding its element, counted and not yet linked, relinks around it and loses nothing', async () => {
    // The worker took the last room and its element; this thread migrates
    // the whole shrink while the worker holds the element 50 ms, then its
    // own insert finds the table full.
    await pausedInsert({
      pauseAt: 'after-alloc',
      holdMs: 50,
      winner: 'Y',
      before: (m) => expect(m.shrink()).toBe(0),
      afterGo: (m) => {
        while (m.resizeStep(1) > 0);
      },
      after: (m) => m.updateU32(X, new Uint8Array(8)),
    });
  });

  it('thousands of tight shrinks against two free-running inserters: every resize completes, the entries stay exact', async () => {
    // At least RUN_MS, and on a loaded machine longer (up to MAX_RUN_MS) until 100 shrinks reached 4 buckets.
    const RUN_MS = 4000;
    const MAX_RUN_MS = 15_000;
    const m = tightMap();
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const fixture = new URL('./fixtures/churn-worker.mjs', import.meta.url);
    const workers = [1000, 1001].map((key) => setup.thread(fixture, { ctlSab: ctl.buffer, key }));
    await Promise.all(workers.map((w) => w.request({ op: 'ready' }, 30_000)));
    const runs = workers.map((w) => w.request({ op: 'run', maxMs: MAX_RUN_MS + 5000 }, MAX_RUN_MS + 30_000));
    let shrinksTo4 = 0;
    const start = performance.now();
    try {
      for (;;) {
        const ran = performance.now() - start;
        if (Atomics.load(ctl, 0) !== 0 || ran > MAX_RUN_MS || (ran > RUN_MS && shrinksTo4 > 100)) break;
        if (m.grow() === 0) while (m.resizeStep(1) > 0);
        // Down to 4 buckets; refused (-EINVAL) while a churned key makes 4 entries.
        for (let i = 0; i < 2; i++) {
          const rc = m.shrink();
          if (rc === 0) {
            while (m.resizeStep(1) > 0);
            if (m.stats().buckets === 4) shrinksTo4++;
          } else if (rc !== -Errno.EINVAL && rc !== -Errno.EBUSY) throw new Error(`shrink() gave ${rc}`);
        }
      }
    } finally {
      Atomics.store(ctl, 0, 1);
    }
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.wrong).toEqual([]);
      expect(r.inserted as number).toBeGreaterThan(0);
    }
    expect(shrinksTo4).toBeGreaterThan(100);
    // Both churned keys are deleted at the end: the 3 permanent entries remain, no resize is stuck.
    while (m.resizeStep(64) > 0);
    expect(m.stats()).toMatchObject({ state: 'idle', entries: 3 });
    for (const k of PERMANENT) expect(m.lookupU32Into(k, new Uint8Array(8))).toBe(0);
  });
});
