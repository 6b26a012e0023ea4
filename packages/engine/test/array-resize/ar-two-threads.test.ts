import { describe, expect, it } from 'vitest';
import { QuiescenceDomain, createMap, type ArrayResizeMap } from '../../src/index.js';
import { u32 } from '../lru/helpers.js';
import { controlWords, startWorker, waitUntil } from '../lru/threads.js';

// One thread grows an array_resize map sub-array by sub-array and fills each
// new sub-array, while CPU 1 (a worker) reads: every read of an index below
// the size the reader saw resolves, to f(i) once filled and to 0 or f(i)
// before. Then a shrink while CPU 1 is online: the dropped sub-array's memory
// is released only after CPU 1 passes a quiescent point.
const FIXTURE = new URL('./fixtures/ar-reader.mjs', import.meta.url);
const STOP = 0, READY = 1, FILLED = 2, ROUNDS = 3, PAUSE = 4, PAUSED = 5, LIMIT = 6;
const SUB = 64;
const SUBS = 128;
const f = (i: number) => (Math.imul(i, 0x9e3779b1) | 1) >>> 0;

function make(domain: QuiescenceDomain, initialEntries: number): ArrayResizeMap {
  return createMap(
    { type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: SUB * SUBS, arrayResize: { subArraySize: SUB, initialEntries } },
    { domain },
  ) as ArrayResizeMap;
}

function fill(map: ArrayResizeMap, from: number, to: number): void {
  for (let i = from; i < to; i++) expect(map.updateU32(i, u32(f(i)))).toBe(0);
}

type ReaderResult = { bad: unknown[]; reads: number; sizes: number };

describe('array_resize from two threads', () => {
  it('grown by one thread while another reads: every read below the size it saw is correct', async () => {
    const domain = QuiescenceDomain.create();
    const map = make(domain, SUB);
    fill(map, 0, SUB);
    const ctl = controlWords();
    Atomics.store(ctl, FILLED, SUB);
    const reader = startWorker<ReaderResult>(FIXTURE, { handle: map.handle, ctl, sub: SUB });
    try {
      await waitUntil(() => Atomics.load(ctl, READY) === 1, 'the reader to start', [reader]);
      for (let k = 1; k < SUBS; k++) {
        const rounds = Atomics.load(ctl, ROUNDS);
        expect(map.grow()).toBe(0);
        fill(map, k * SUB, (k + 1) * SUB);
        Atomics.store(ctl, FILLED, (k + 1) * SUB);
        // Let the reader run a round on this size before the next grow.
        await waitUntil(() => Atomics.load(ctl, ROUNDS) > rounds, 'a reader round', [reader]);
      }
    } finally {
      Atomics.store(ctl, STOP, 1);
    }
    const r = await reader.result;
    expect(r.bad).toEqual([]);
    expect(r.sizes).toBeGreaterThan(SUBS / 2);
    expect(map.stats()).toMatchObject({ entries: SUB * SUBS, subArrays: SUBS });
  });

  it("a shrink's memory waits for the reading CPU's quiescent point", async () => {
    const domain = QuiescenceDomain.create();
    const map = make(domain, 4 * SUB);
    fill(map, 0, 4 * SUB);
    const ctl = controlWords();
    Atomics.store(ctl, FILLED, 4 * SUB);
    // The reader stays below 3 sub-arrays: the shrink never takes its entries.
    Atomics.store(ctl, LIMIT, 3 * SUB);
    const reader = startWorker<ReaderResult>(FIXTURE, { handle: map.handle, ctl, sub: SUB });
    try {
      await waitUntil(() => Atomics.load(ctl, ROUNDS) > 10, 'reader rounds', [reader]);
      // Hold CPU 1 inside one long event: online, not quiescent.
      Atomics.store(ctl, PAUSE, 1);
      await waitUntil(() => Atomics.load(ctl, PAUSED) === 1, 'the reader to pause', [reader]);
      const before = map.stats().bytes;
      expect(map.shrink()).toBe(0);
      expect(map.reclaim()).toBe(0);
      expect(map.stats()).toMatchObject({ bytes: before, pendingRelease: 1 });
      Atomics.store(ctl, PAUSE, 0);
      Atomics.notify(ctl, PAUSE);
      await waitUntil(() => map.reclaim() === 1, 'the release after CPU 1 passed a quiescent point', [reader]);
      expect(map.stats()).toMatchObject({ bytes: before - SUB * 16, pendingRelease: 0, released: 1 });
    } finally {
      Atomics.store(ctl, PAUSE, 0);
      Atomics.store(ctl, STOP, 1);
    }
    expect((await reader.result).bad).toEqual([]);
  });
});
