import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { hashKey } from '../../src/hash/hasher.js';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { until } from '../support/threads.js';
import { key, useRecovery } from './support.js';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread and in its worker threads (they inherit the environment).
setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

// hash_resize with a CPU that dies in the middle of a resize it drives:
// holding R_LOCK mid table switch, halfway through a claimed migration batch,
// or at a random moment of inserts that drive inline or 'help' resizes. The
// other CPUs must finish the resize, nothing committed may be lost, and the
// map must verify.

const CPU = 1;

function valueOf(k: number, size: number): Uint8Array {
  const v = new Uint8Array(size);
  const w = new DataView(v.buffer);
  for (let o = 0; o + 4 <= size; o += 4) w.setInt32(o, k + o / 4, true);
  return v;
}

/** Retries -EBUSY (bounded): a writer with the 'fail' policy that wants the operation done. */
function untilNotBusy(op: () => number): number {
  for (let i = 0; i < 100_000; i++) {
    const rc = op();
    if (rc !== -Errno.EBUSY) return rc;
  }
  throw new Error('-EBUSY 100 000 times in a row: the resize does not progress');
}

describe('hash_resize: a CPU killed while it drives a resize', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  it('killed holding R_LOCK in the middle of a table switch: lookups, updates and the next resize go on', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 256, resize: { driver: 'inline', initialBuckets: 16 } }) as HashResizeMap;
    for (let k = 0; k < 10; k++) expect(m.updateU32(k, valueOf(k, 8))).toBe(0);
    const doomed = cpu(m);
    await run(doomed, { op: 'hold-resize-lock' });
    await kill(doomed, m);
    // The table state's seqlock is odd: the lookup's refresh takes R_LOCK over, which closes it.
    for (let k = 0; k < 10; k++) expect(m.lookup(key(k))).toEqual(valueOf(k, 8));
    for (let k = 10; k < 100; k++) expect(untilNotBusy(() => m.updateU32(k, valueOf(k, 8)))).toBe(0);
    expect(m.stats()).toMatchObject({ state: 'idle', entries: 100 });
    expect((m.stats().grows as number) > 0).toBe(true);
    expect(verify(m).problems).toEqual([]);
  });

  it('inline driver killed right after it began a resize (nothing migrated): the first writer takes over and finishes it', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'inline', autoResize: false, initialBuckets: 16 } }) as HashResizeMap;
    for (let k = 0; k < 12; k++) expect(m.updateU32(k, valueOf(k, 8))).toBe(0);
    const doomed = cpu(m);
    await run(doomed, { op: 'begin-resize' });
    await kill(doomed, m);
    expect(m.stats().state).toBe('resizing');
    // Every bucket is unmoved: the write meets the resize and, its driver dead, drives it.
    expect(untilNotBusy(() => m.updateU32(3, valueOf(30, 8)))).toBe(0);
    expect(m.stats()).toMatchObject({ state: 'idle', buckets: 32, entries: 12, grows: 1 });
    expect(m.lookup(key(3))).toEqual(valueOf(30, 8));
    expect(verify(m).problems).toEqual([]);
  });

  it('killed halfway through a claimed migration batch: the next migrator takes the batch over and the resize completes', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'help', autoResize: false, migrateBatch: 4, initialBuckets: 16 } }) as HashResizeMap;
    for (let k = 0; k < 12; k++) expect(m.updateU32(k, valueOf(k, 8))).toBe(0);
    expect(m.grow()).toBe(0);
    const doomed = cpu(m);
    const claimed = await run(doomed, { op: 'half-batch' });
    expect(claimed).toMatchObject({ start: 4, end: 8, migrated: 2 });
    await kill(doomed, m);
    // Migrate what is left: the fresh batches, then the dead CPU's.
    while (m.resizeStep(1) > 0);
    expect(m.stats()).toMatchObject({ state: 'idle', buckets: 32, entries: 12 });
    for (let k = 0; k < 12; k++) expect(m.lookup(key(k))).toEqual(valueOf(k, 8));
    m.repair();
    expect(verify(m).problems).toEqual([]);
  });

  it('killed in the middle of a relink (the old chain runs on into the new one): taking the old bucket over completes the move, no key is counted or live twice', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'help', autoResize: false, migrateBatch: 4, initialBuckets: 16 } }) as HashResizeMap;
    // Three keys in old bucket 5, then others up to 12. grow() with the help
    // driver migrates the first batch (buckets 0..3); the doomed CPU claims the next.
    const seed = m.header.seed;
    const keys: number[] = [];
    for (let k = 0; keys.length < 3; k++) if ((hashKey(key(k), seed) & 15) === 5) keys.push(k);
    for (let k = 0; keys.length < 12; k++) if (!keys.includes(k)) keys.push(k);
    for (const k of keys) expect(m.updateU32(k, valueOf(k, 8))).toBe(0);
    expect(m.grow()).toBe(0);
    const doomed = cpu(m);
    expect(await run(doomed, { op: 'half-relink', bucket: 5 })).toMatchObject({ chain: 3 });
    await kill(doomed, m);
    m.repair();
    // Still under way (two batches unclaimed), yet consistent: ENTRIES
    // counts each key once and no FUT entry comes from an unmoved bucket.
    expect(m.stats()).toMatchObject({ state: 'resizing', entries: 12 });
    expect(verify(m).problems).toEqual([]);
    for (const k of keys) expect(m.lookup(key(k))).toEqual(valueOf(k, 8));
    expect(m.updateU32(keys[0]!, valueOf(100, 8))).toBe(0);
    while (m.resizeStep(1) > 0);
    expect(m.stats()).toMatchObject({ state: 'idle', buckets: 32, entries: 12 });
    expect(m.lookup(key(keys[0]!))).toEqual(valueOf(100, 8));
    for (const k of keys.slice(1)) expect(m.lookup(key(k))).toEqual(valueOf(k, 8));
    expect(verify(m).problems).toEqual([]);
  });

  it('killed in the middle of a relink in a shrink, then another thread puts a key in front of the new bucket: taking the old bucket over still completes the move', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'help', autoResize: false, migrateBatch: 4, initialBuckets: 32 } }) as HashResizeMap;
    // Old buckets 5 and 21 both go to new bucket 5 in a shrink to 16. The
    // doomed CPU relinks old bucket 5's tail to new bucket 5 and dies before
    // cutting it from the old chain. A new key of old bucket 21 then goes
    // into new bucket 5 (taking its lock over from the dead CPU) in front of
    // that tail: the old chain now runs into the new one below its head.
    const seed = m.header.seed;
    const keys: number[] = [];
    for (let k = 0; keys.length < 3; k++) if ((hashKey(key(k), seed) & 31) === 5) keys.push(k);
    for (let k = 0; keys.length < 7; k++) if (!keys.includes(k) && (hashKey(key(k), seed) & 31) >= 24) keys.push(k);
    for (const k of keys) expect(m.updateU32(k, valueOf(k, 8))).toBe(0);
    expect(m.shrink()).toBe(0);
    const doomed = cpu(m);
    expect(await run(doomed, { op: 'half-relink', bucket: 5 })).toMatchObject({ chain: 3 });
    await kill(doomed, m, undefined, false);
    let late = 0;
    while ((hashKey(key(late), seed) & 31) !== 21 || keys.includes(late)) late++;
    expect(m.updateU32(late, valueOf(late, 8))).toBe(0);
    m.repair();
    expect(verify(m).problems).toEqual([]);
    for (const k of [...keys, late]) expect(m.lookup(key(k))).toEqual(valueOf(k, 8));
    while (m.resizeStep(1) > 0);
    expect(m.stats()).toMatchObject({ state: 'idle', buckets: 16, entries: keys.length + 1 });
    for (const k of [...keys, late]) expect(m.lookup(key(k))).toEqual(valueOf(k, 8));
    expect(verify(m).problems).toEqual([]);
  });

  for (const [driver, ebusyPolicy] of [['inline', 'fail'], ['help', 'fail'], ['inline', 'retry']] as const) {
    it(`${driver} driver, ${ebusyPolicy} policy: killed at random moments of inserts that drive the resizes, no committed entry is lost`, async () => {
      const spec: MapSpec = { type: 'hash_resize', keySize: 4, valueSize: 16, maxEntries: 1 << 14, resize: { driver, ebusyPolicy, migrateBatch: 8 } };
      let recovered = 0;
      for (let round = 0; round < 12; round++) {
        const m = map(spec);
        const progress = new Int32Array(new SharedArrayBuffer(8)).fill(-1);
        const worker = new Worker(new URL('./fixtures/busy-cpu.mjs', import.meta.url), { workerData: { handle: m.handle, cpu: CPU, progressSab: progress.buffer } });
        let failure: string | null = null;
        worker.on('message', (r: { thrown?: string }) => {
          if (r.thrown) failure = r.thrown;
        });
        worker.on('error', (e) => {
          failure = String(e);
        });
        try {
          worker.postMessage({ op: 'insert', from: 0, to: 8000 });
          const target = 50 + Math.floor(Math.random() * 6000);
          await until(() => failure !== null || Atomics.load(progress, 1) >= target, 30_000, `the inserter to reach key ${target}`);
        } finally {
          await worker.terminate();
          m.domain.markDead(CPU);
        }
        expect(failure).toBeNull();
        const committed = Atomics.load(progress, 1);
        const inFlight = Atomics.load(progress, 0);
        // This thread goes on inserting: its writes meet the resize the dead CPU drove and finish it.
        for (let k = 8000; k < 8100; k++) expect(untilNotBusy(() => m.updateU32(k, valueOf(k, 16))), `key ${k}`).toBe(0);
        for (let i = 0; m.stats().state !== 'idle'; i++) {
          if (i === 100_000) throw new Error(`round ${round}: the resize the dead CPU drove never finished: ${JSON.stringify(m.stats())}`);
          expect(untilNotBusy(() => m.updateU32(8000, valueOf(8000, 16)))).toBe(0);
        }
        for (let k = 0; k <= committed; k++) expect(m.lookup(key(k)), `round ${round}: committed key ${k}`).toEqual(valueOf(k, 16));
        const flight = m.lookup(key(inFlight));
        if (inFlight > committed && flight !== undefined) expect(flight).toEqual(valueOf(inFlight, 16));
        for (let k = inFlight + 1; k < 8000; k++) expect(m.lookup(key(k))).toBeUndefined();
        const r = verify(m);
        expect(r.problems, `round ${round}`).toEqual([]);
        expect(r.checked.elements).toBe(100 + committed + 1 + (inFlight > committed && flight !== undefined ? 1 : 0));
        recovered += m.recoveryCounts().locksRecovered;
        m.destroy();
      }
      // About half the kills land inside a lock here (the inserts migrate
      // under bucket locks), so twelve rounds without one would be a ~1e-4 chance.
      expect(recovered).toBeGreaterThan(0);
    }, 180_000);
  }
});
