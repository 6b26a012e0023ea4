import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { useMaps } from '../support/maps.js';
import { FixtureWorker, until } from '../support/threads.js';

const u32 = (k: number): Uint8Array => new Uint8Array(new Uint32Array([k]).buffer);
const keyOf = (b: Uint8Array): number => new Uint32Array(b.buffer, b.byteOffset, 1)[0]!;

/** The fixture workers of the running test: stopped after each test (bounded). */
let workers: FixtureWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
});

describe('hash_resize setMaxEntries', () => {
  const make = useMaps();
  const spec = (over: Partial<MapSpec['resize']> = {}, maxEntries = 100): MapSpec => ({
    type: 'hash_resize',
    keySize: 4,
    valueSize: 4,
    maxEntries,
    nCpus: 2,
    resize: { driver: 'inline', maxEntriesCeiling: 10_000, ...over },
  });

  it('raising is allowed and takes inserts past the old bound; lowering below the live entries is -EINVAL and changes nothing', () => {
    const m = make(spec()) as HashResizeMap;
    const v = new Uint8Array(4);
    for (let k = 0; k < 100; k++) expect(m.updateU32(k, v)).toBe(0);
    expect(m.updateU32(100, v)).toBe(-Errno.E2BIG);
    expect(m.setMaxEntries(5000)).toBe(0);
    expect(m.stats().maxEntries).toBe(5000);
    for (let k = 100; k < 3000; k++) expect(m.updateU32(k, v)).toBe(0);
    // Past the old bound's table size: the table grew beyond what 100 entries allowed.
    expect(m.stats().buckets).toBeGreaterThan(128);
    const before = m.stats();
    expect(m.setMaxEntries(2999)).toBe(-Errno.EINVAL);
    expect(m.stats()).toMatchObject({ maxEntries: 5000, entries: 3000, buckets: before.buckets });
    // Lowering to the live entries exactly is allowed; the next insert is refused.
    expect(m.setMaxEntries(3000)).toBe(0);
    expect(m.updateU32(9999, v)).toBe(-Errno.E2BIG);
    for (let k = 0; k < 10; k++) expect(m.deleteU32(k)).toBe(0);
    expect(m.updateU32(9999, v)).toBe(0);
    // Each accepted change is in the decision log, as 'max-entries' from -> to.
    const log = m.decisionLog().records.filter((r) => r.reason === 'max-entries');
    expect(log.map((r) => [r.from, r.to])).toEqual([
      [100, 5000],
      [5000, 3000],
    ]);
  });

  it('during a resize: -EBUSY, nothing changes', () => {
    const m = make(spec({ driver: 'help', autoResize: false, initialBuckets: 256, migrateBatch: 4 }, 1000)) as HashResizeMap;
    expect(m.grow()).toBe(0);
    expect(m.stats().state).toBe('resizing');
    expect(m.setMaxEntries(2000)).toBe(-Errno.EBUSY);
    expect(m.stats().maxEntries).toBe(1000);
    while (m.resizeStep(64) > 0);
    expect(m.setMaxEntries(2000)).toBe(0);
  });

  it('bad bounds throw a clear error and change nothing', () => {
    const m = make(spec()) as HashResizeMap;
    expect(() => m.setMaxEntries(1.5)).toThrow(TypeError);
    expect(() => m.setMaxEntries('7' as unknown as number)).toThrow(TypeError);
    expect(() => m.setMaxEntries(Number.NaN)).toThrow(TypeError);
    expect(() => m.setMaxEntries(0)).toThrow(RangeError);
    expect(() => m.setMaxEntries(2 ** 31)).toThrow(/hard limit/);
    expect(m.stats().maxEntries).toBe(100);
    // maxEntriesCeiling is no limit (a pre-sizing hint): a map created without one is raised past its maxEntries (flexible-bound.test.ts).
    const fixed = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 64 }) as HashResizeMap;
    expect(fixed.setMaxEntries(10_001)).toBe(0);
    expect(fixed.setMaxEntries(32)).toBe(0);
    expect(() => make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 64, resize: { maxEntriesCeiling: 10 } })).toThrow(/maxEntriesCeiling/);
  });

  describe('under concurrent inserts from two worker threads', () => {
    it('the entries never pass an accepted bound; a refused lowering leaves the bound as it was', async () => {
      const m = make(spec({ driver: 'inline' }, 2000)) as HashResizeMap;
      const ctl = new Int32Array(new SharedArrayBuffer(4));
      const fixture = new URL('./fixtures/inserter.mjs', import.meta.url);
      workers = [0, 1].map((i) => new FixtureWorker(fixture, { handle: m.handle, ctlSab: ctl.buffer, keyBase: 1_000_000 * (i + 1), span: 4000 }));
      await Promise.all(workers.map((w) => w.request({ op: 'ready' }, 30_000)));
      const runs = workers.map((w) => w.request({ op: 'run', maxMs: 20_000 }, 40_000));
      let accepted = 0;
      let refused = 0;
      let busy = 0;
      const bounds = [2000, 500, 3000, 1000, 6000, 800, 2500];
      const start = performance.now();
      try {
        for (let round = 0; performance.now() - start < 1500 || accepted < 20; round++) {
          if (performance.now() - start > 15_000) break;
          const n = bounds[round % bounds.length]!;
          const was = m.stats().maxEntries;
          const rc = m.setMaxEntries(n);
          if (rc === 0) accepted++;
          else if (rc === -Errno.EINVAL) {
            refused++;
            // Nothing changed (only this thread moves the bound).
            expect(m.stats().maxEntries).toBe(was);
          } else {
            expect(rc).toBe(-Errno.EBUSY);
            busy++;
          }
          // Whatever the bound is now, the entries are within it (checked many times per bound).
          for (let i = 0; i < 50; i++) {
            const st = m.stats();
            expect(st.entries).toBeLessThanOrEqual(st.maxEntries);
          }
        }
      } finally {
        Atomics.store(ctl, 0, 1);
      }
      const results = await Promise.all(runs);
      for (const r of results) {
        expect(r.wrong).toEqual([]);
        expect(r.inserted as number).toBeGreaterThan(0);
        expect(r.refused as number).toBeGreaterThan(0);
      }
      expect(accepted).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      expect(accepted + refused + busy).toBeGreaterThan(20);
      const st = m.stats();
      expect(st.entries).toBeLessThanOrEqual(st.maxEntries);
    });
  });
});

describe('hash_resize stable walk (scan) under forced resizes from two CPUs', () => {
  const make = useMaps();

  const PERMANENT = 3000;
  /** At least this many resizes happen while walks are under way. */
  const MIN_RESIZES = 50;
  const MAX_MS = 25_000;

  interface WalkTally {
    walks: number;
    skipped: number;
    repeated: number;
    resizesDuring: number;
  }

  async function walkUnderResizes(walk: (m: HashResizeMap) => Map<number, number>, minMs: number): Promise<WalkTally> {
    const m = make({
      type: 'hash_resize',
      keySize: 4,
      valueSize: 4,
      maxEntries: 1 << 16,
      nCpus: 3,
      resize: { driver: 'help', autoResize: false, migrateBatch: 4, initialBuckets: 4096 },
    }) as HashResizeMap;
    const v = new Uint8Array(4);
    for (let k = 1; k <= PERMANENT; k++) expect(m.updateU32(k, v)).toBe(0);
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const fixture = new URL('./fixtures/grow-shrink-forcer.mjs', import.meta.url);
    workers = [0, 1].map((i) => new FixtureWorker(fixture, { handle: m.handle, ctlSab: ctl.buffer, keyBase: 10_000_000 * (i + 1) }));
    await Promise.all(workers.map((w) => w.request({ op: 'ready' }, 30_000)));
    const runs = workers.map((w) => w.request({ op: 'run', maxMs: MAX_MS + 5000 }, MAX_MS + 30_000));
    const t: WalkTally = { walks: 0, skipped: 0, repeated: 0, resizesDuring: 0 };
    const resizes = (): number => {
      const st = m.stats();
      return (st.grows as number) + (st.shrinks as number);
    };
    const start = performance.now();
    try {
      while (Atomics.load(ctl, 0) === 0 && performance.now() - start < MAX_MS && (t.resizesDuring < MIN_RESIZES || performance.now() - start < minMs)) {
        const r0 = resizes();
        const seen = walk(m);
        t.resizesDuring += resizes() - r0;
        t.walks++;
        for (let k = 1; k <= PERMANENT; k++) if (!seen.has(k)) t.skipped++;
        for (const c of seen.values()) t.repeated += c - 1;
        // Let the CPUs resize between walks too (the walk itself yields nothing).
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      Atomics.store(ctl, 0, 1);
    }
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.wrong).toEqual([]);
      expect(r.resizes as number).toBeGreaterThan(0);
    }
    return t;
  }

  it('every key present throughout is returned at least once (0 skips) over >= 50 resizes', async () => {
    const t = await walkUnderResizes((m) => {
      const seen = new Map<number, number>();
      let cursor = 0;
      let calls = 0;
      do {
        const r = m.scan(cursor, 8);
        for (const k of r.keys) seen.set(keyOf(k), (seen.get(keyOf(k)) ?? 0) + 1);
        cursor = r.cursor;
        if (++calls > 1_000_000) throw new Error('scan did not end');
      } while (cursor !== 0);
      return seen;
    }, 0);
    expect(t.resizesDuring).toBeGreaterThanOrEqual(MIN_RESIZES);
    expect(t.skipped).toBe(0);
    expect(t.walks).toBeGreaterThan(1);
  }, 90_000);

  it('the best-effort walk (getNextKey, kernel semantics) skips keys present throughout in the same setting', async () => {
    const t = await walkUnderResizes((m) => {
      const seen = new Map<number, number>();
      const next = new Uint8Array(4);
      let key: Uint8Array | null = null;
      // Bounded: a walk that restarts (its key deleted) may revisit, never loop forever.
      for (let steps = 0; steps < 20 * PERMANENT; steps++) {
        if (m.getNextKey(key, next) !== 0) break;
        const k = keyOf(next);
        seen.set(k, (seen.get(k) ?? 0) + 1);
        key = next.slice();
      }
      return seen;
    }, 3000);
    expect(t.resizesDuring).toBeGreaterThanOrEqual(MIN_RESIZES);
    expect(t.skipped).toBeGreaterThan(0);
  }, 90_000);
});

describe('hash_resize adaptive controller in the map', () => {
  const make = useMaps();
  it('from 4 buckets the first full table goes to the floor in one resize, logged; the watermarks double', () => {
    const spec = (controller: 'adaptive' | 'watermarks'): MapSpec => ({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 10_000, resize: { controller, driver: 'inline' } });
    const a = make(spec('adaptive')) as HashResizeMap;
    const w = make(spec('watermarks')) as HashResizeMap;
    for (let k = 0; k < 5; k++) {
      expect(a.updateU32(k, u32(k))).toBe(0);
      expect(w.updateU32(k, u32(k))).toBe(0);
    }
    expect(a.stats()).toMatchObject({ buckets: 256, grows: 1, controller: 'adaptive' });
    expect(a.decisionLog().records.map((r) => [r.reason, r.from, r.to])).toEqual([['full', 4, 256]]);
    expect(w.stats().buckets).toBe(8);
    expect((w.stats().decisions as Record<string, number>)['watermark-grow']).toBe(1);
  });
});

describe('hash_resize adaptive controller with the deferred resizer', () => {
  const make = useMaps();
  it('a big table left nearly empty shrinks once the hold passed, by the resizer, with no write to trigger it', async () => {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 100_000, nCpus: 1, resize: { controller: 'adaptive', driver: 'deferred' } }) as HashResizeMap;
    const v = new Uint8Array(4);
    for (let k = 0; k < 40_000; k++) expect(m.updateU32(k, v)).toBe(0);
    await until(() => m.stats().state === 'idle' && (m.stats().buckets as number) >= 32_768, 10_000, 'the grows to end');
    for (let k = 1000; k < 40_000; k++) expect(m.deleteU32(k)).toBe(0);
    // Nothing writes from here: the resizer's own looks make the held shrink come due.
    await until(() => m.stats().state === 'idle' && (m.stats().buckets as number) <= 4096, 10_000, 'the held shrink');
    const shrinks = m.decisionLog().records.filter((r) => r.reason === 'hold-shrink');
    expect(shrinks.length).toBeGreaterThanOrEqual(1);
    // The first shrink came after the hold (100 ms) from the last delete at the earliest: no flapping shrink per delete.
    expect(shrinks.length).toBeLessThanOrEqual(3);
    for (let k = 0; k < 1000; k++) expect(m.lookupU32Into(k, new Uint8Array(4))).toBe(0);
  }, 30_000);
});

describe('scan arguments and a quiet walk', () => {
  const make = useMaps();
  it('visits every key exactly once when nothing changes; bad cursors and counts throw', () => {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 5000 }) as HashResizeMap;
    for (let k = 0; k < 3000; k++) m.updateU32(k, u32(k * 3));
    const seen = new Map<number, number>();
    let cursor = 0;
    do {
      const r = m.scan(cursor, 100, true);
      r.keys.forEach((k, i) => {
        seen.set(keyOf(k), (seen.get(keyOf(k)) ?? 0) + 1);
        expect(keyOf(r.values[i]!)).toBe(keyOf(k) * 3);
      });
      cursor = r.cursor;
    } while (cursor !== 0);
    expect(seen.size).toBe(3000);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(() => m.scan(-1, 10)).toThrow(RangeError);
    expect(() => m.scan(0, 0)).toThrow(RangeError);
    expect(() => m.scan(0.5, 10)).toThrow(RangeError);
  });
});
