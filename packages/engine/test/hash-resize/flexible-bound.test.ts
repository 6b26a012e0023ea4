import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { useMaps } from '../support/maps.js';
import { until, type Reply } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';

// hash_resize's bound has no ceiling (issue 17: "raising it is always
// allowed"): the element pool's chunk directory grows in pages as chunk
// indexes pass what the map was created for (memory/paged-records.ts), and
// the only limit left is the engine's (element ids are non-negative Int32
// words). Lowering and -EBUSY keep their rules.

const FILLER = new URL('./fixtures/bound-filler.mjs', import.meta.url);
/** bound-filler.mjs control words. */
const CTL = { go: 0, ready: 1, done: 2, stop: 3 };
const RUN_MS = 90_000;

const spec = (over: Partial<MapSpec> = {}): MapSpec => ({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 1024, nCpus: 2, ...over });

/** Key k holds k (retrying the -EBUSY a resize under way may give). */
function put(m: HashResizeMap, from: number, to: number): void {
  const v = new Uint8Array(4);
  for (let k = from; k < to; k++) {
    new DataView(v.buffer).setUint32(0, k, true);
    let rc = m.updateU32(k, v);
    for (let tries = 0; rc === -Errno.EBUSY && tries < 100_000; tries++) rc = m.updateU32(k, v);
    expect(rc, `key ${k}`).toBe(0);
  }
}

/** How many of keys 0..total-1 are missing or hold another value, looked up from this thread. */
function misses(m: HashResizeMap, total: number): number {
  const out = new Uint8Array(4);
  let bad = 0;
  for (let k = 0; k < total; k++) if (m.lookupU32Into(k, out) !== 0 || new DataView(out.buffer).getUint32(0, true) !== k) bad++;
  return bad;
}

/**
 * stats().bytes, counted as chunks and directory pages were made, against
 * what the map holds (a quiet map no thread died on).
 */
function expectBytesTrue(m: HashResizeMap): void {
  // stats() brings this thread's view of the tables up to date first.
  const bytes = m.stats().bytes;
  expect(bytes).toBe(m.bytesHeldWith(m.cur, m.fut));
}

function expectFillers(reports: Reply[], perWriter: number, total: number): void {
  for (const r of reports) {
    expect(r.thrown).toBeUndefined();
    expect({ wrong: r.wrong, misses: r.misses, badValues: r.badValues, inserted: r.inserted }).toEqual({ wrong: [], misses: 0, badValues: 0, inserted: perWriter });
  }
  expect(total).toBe(perWriter * reports.length);
}

describe('hash_resize: raising the bound past anything it was created for, from two CPUs', () => {
  const run = useThreadsAndMap();

  it('created at 1024 entries without a ceiling, raised to 2^20, filled with 200k keys by 2 CPUs while it resizes: every key found, verify clean', async () => {
    const m = run.map(spec()) as HashResizeMap;
    const chunk = m.pool.chunk;
    const firstPage = m.pool.dir.extent();
    expect(m.stats().maxEntriesCeiling as number).toBeGreaterThan(2 ** 30);
    expect(m.setMaxEntries(1 << 20)).toBe(0);
    const PER = 100_000;
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    for (let id = 0; id < 2; id++) run.thread(FILLER, { ctlSab: ctl.buffer, id, from: id * PER, to: (id + 1) * PER, writers: 2, total: 2 * PER, deadlineMs: RUN_MS });
    const reports = await run.runTogether(ctl, { ready: CTL.ready, go: CTL.go }, { barrierMs: 30_000, reportMs: RUN_MS + 30_000, what: 'a CPU to fill the map' });
    expectFillers(reports, PER, 2 * PER);
    await until(() => m.stats().state === 'idle', 30_000, 'the last resize to finish');
    const st = m.stats();
    expect(st).toMatchObject({ entries: 2 * PER, maxEntries: 1 << 20 });
    expect(st.grows as number).toBeGreaterThan(10);
    // Chunks sized for the 1024 entries it was created with, and directory pages made past the first.
    expect(m.pool.chunk).toBe(chunk);
    expect(m.pool.dir.extent()).toBeGreaterThan(firstPage);
    expect(m.pool.dir.pageIds().length).toBeGreaterThan(0);
    expect(misses(m, 2 * PER)).toBe(0);
    expect(verify(m).problems).toEqual([]);
    expectBytesTrue(m);
  });

  it('raised again and again while 2 CPUs insert: the entries never pass an accepted bound, every key found, verify clean', async () => {
    const m = run.map(spec({ resize: { driver: 'inline' } })) as HashResizeMap;
    const PER = 40_000;
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    for (let id = 0; id < 2; id++) run.thread(FILLER, { ctlSab: ctl.buffer, id, from: id * PER, to: (id + 1) * PER, writers: 2, total: 2 * PER, deadlineMs: RUN_MS });
    let accepted = 0;
    const raises: [number, number][] = [];
    const sleepCell = new Int32Array(new SharedArrayBuffer(4));
    const reports = await run.runTogether(ctl, { ready: CTL.ready, go: CTL.go }, { barrierMs: 30_000, reportMs: RUN_MS + 30_000, what: 'a CPU to fill the map' }, () => {
      // This thread raises the bound by 2x whenever the entries pass 90% of
      // it, synchronously, while both CPUs insert: no event loop runs here.
      const deadline = performance.now() + RUN_MS;
      while (Atomics.load(ctl, CTL.done) < 2 && Atomics.load(ctl, CTL.stop) === 0 && performance.now() < deadline) {
        const st = m.stats();
        expect(st.entries).toBeLessThanOrEqual(st.maxEntries);
        if (st.entries >= 0.9 * st.maxEntries) {
          const rc = m.setMaxEntries(st.maxEntries * 2);
          if (rc === 0) {
            accepted++;
            raises.push([st.maxEntries, st.maxEntries * 2]);
          } else expect(rc).toBe(-Errno.EBUSY);
        }
        Atomics.wait(sleepCell, 0, 0, 0.2);
      }
    });
    expectFillers(reports, PER, 2 * PER);
    // 1024 -> 2^17 at least: seven raises, each one logged as it was accepted.
    expect(accepted).toBeGreaterThanOrEqual(7);
    expect(m.stats().maxEntries).toBeGreaterThanOrEqual(2 * PER);
    const logged = m.decisionLog().records.filter((r) => r.reason === 'max-entries');
    expect(logged.map((r) => [r.from, r.to])).toEqual(raises.slice(-logged.length));
    await until(() => m.stats().state === 'idle', 30_000, 'the last resize to finish');
    expect(m.stats().entries).toBe(2 * PER);
    expect(misses(m, 2 * PER)).toBe(0);
    expect(verify(m).problems).toEqual([]);
    expectBytesTrue(m);
  });
});

describe('hash_resize setMaxEntries past the first directory page, from one thread', () => {
  const make = useMaps();

  it('lowering keeps its rules: below the live entries -EINVAL and nothing changes, to them or above 0; a table that outgrew a lowered bound verifies clean', () => {
    // Resized by hand only, so that the table stays as big as the raised bound let it grow.
    const m = make(spec({ resize: { driver: 'inline', autoResize: false, initialBuckets: 1024 } })) as HashResizeMap;
    expect(m.grow()).toBe(-Errno.E2BIG);
    expect(m.setMaxEntries(1 << 16)).toBe(0);
    for (let i = 0; i < 3; i++) expect(m.grow()).toBe(0);
    put(m, 0, 5000);
    const pages = m.pool.dir.pageIds();
    expect(pages.length).toBeGreaterThan(0);
    const before = m.stats();
    expect(before.buckets).toBe(8192);
    expect(m.setMaxEntries(4999)).toBe(-Errno.EINVAL);
    expect(m.stats()).toMatchObject({ maxEntries: 1 << 16, entries: 5000, buckets: 8192, bytes: before.bytes });
    expect(m.pool.dir.pageIds()).toEqual(pages);
    expect(m.setMaxEntries(5000)).toBe(0);
    expect(m.updateU32(99_999, new Uint8Array(4))).toBe(-Errno.E2BIG);
    for (let k = 0; k < 4500; k++) expect(m.deleteU32(k)).toBe(0);
    expect(m.setMaxEntries(600)).toBe(0);
    // 8192 buckets, grown under the raised bound: more than 600 entries allow (1024), within the highest bound's.
    expect(m.stats().buckets).toBe(8192);
    expect(m.grow()).toBe(-Errno.E2BIG);
    expect(verify(m).problems).toEqual([]);
    // Raised again, far: the pages made before are used again, more are made.
    expect(m.setMaxEntries(1 << 18)).toBe(0);
    for (let i = 0; i < 2; i++) expect(m.grow()).toBe(0);
    put(m, 100_000, 120_000);
    expect(m.pool.dir.pageIds().length).toBeGreaterThan(pages.length);
    expect(m.stats().entries).toBe(20_500);
    expect(m.pool.dir.pageIds().slice(0, pages.length)).toEqual(pages);
    expect(verify(m).problems).toEqual([]);
    expectBytesTrue(m);
    expect(
      m
        .decisionLog()
        .records.filter((r) => r.reason === 'max-entries')
        .map((r) => [r.from, r.to]),
    ).toEqual([
      [1024, 1 << 16],
      [1 << 16, 5000],
      [5000, 600],
      [600, 1 << 18],
    ]);
  });

  it('bad bounds throw a clear error naming the limit, and change nothing', () => {
    const m = make(spec({ resize: { driver: 'inline' } })) as HashResizeMap;
    put(m, 0, 10);
    const limit = m.stats().maxEntriesCeiling as number;
    // Element ids are non-negative Int32 words: about 2^31 entries, less a chunk and the CPU caches.
    expect(limit).toBeGreaterThan(2 ** 31 - 4 * m.pool.chunk);
    expect(limit).toBeLessThan(2 ** 31);
    const log = m.decisionLog();
    const stats = m.stats();
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '7', null]) expect(() => m.setMaxEntries(bad as number)).toThrow(TypeError);
    for (const bad of [0, -5]) expect(() => m.setMaxEntries(bad)).toThrow(/at least 1/);
    expect(() => m.setMaxEntries(limit + 1)).toThrow(RangeError);
    expect(() => m.setMaxEntries(limit + 1)).toThrow(new RegExp(`hard limit of ${limit} entries .*element ids are non-negative Int32 words`));
    expect(() => m.setMaxEntries(2 ** 31)).toThrow(/hard limit/);
    expect(() => m.resizeHint(limit + 1)).toThrow(RangeError);
    expect(m.stats()).toMatchObject({ maxEntries: stats.maxEntries, entries: 10, bytes: stats.bytes });
    expect(m.decisionLog()).toEqual(log);
    expect(m.pool.dir.pageIds()).toEqual([]);
    // The limit itself is a bound like any other (it costs no memory), and back.
    expect(m.setMaxEntries(limit)).toBe(0);
    expect(m.setMaxEntries(1024)).toBe(0);
    expect(verify(m).problems).toEqual([]);
    // Tiny chunks (a map created for one entry) reach the directory's limit
    // first; the error says so and how to pick bigger chunks.
    const tiny = make(spec({ maxEntries: 1 })) as HashResizeMap;
    const tinyLimit = tiny.stats().maxEntriesCeiling as number;
    expect(tinyLimit).toBeLessThan(limit);
    expect(() => tiny.setMaxEntries(tinyLimit + 1)).toThrow(/chunk directory .*maxEntriesCeiling/);
    expect(tiny.setMaxEntries(1 << 16)).toBe(0);
  });

  it('maxEntriesCeiling is still accepted: a pre-sizing hint for the chunk size, no limit', () => {
    const plain = make(spec({ maxEntries: 64 })) as HashResizeMap;
    const hinted = make(spec({ maxEntries: 64, resize: { maxEntriesCeiling: 1 << 22 } })) as HashResizeMap;
    expect(hinted.pool.chunk).toBeGreaterThan(plain.pool.chunk);
    // Page 0 of the directory is sized for the 64 entries either way.
    expect(hinted.pool.firstChunks).toBe(Math.ceil((64 + 3 * 15) / hinted.pool.chunk) + 1);
    expect(hinted.setMaxEntries((1 << 22) + 1)).toBe(0);
    expect(plain.setMaxEntries(1 << 22)).toBe(0);
    expect(() => make(spec({ maxEntries: 64, resize: { maxEntriesCeiling: 10 } }))).toThrow(/maxEntriesCeiling/);
  });
});
