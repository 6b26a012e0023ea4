import { describe, expect, it } from 'vitest';
import { QuiescenceDomain, createMap, type BpfMap } from '../../src/index.js';
import { u32 } from '../lru/helpers.js';
import { controlWords, startWorker, waitUntil } from '../lru/threads.js';
import { outer } from './helpers.js';

// The main thread swaps the inner map at index 0 generation after generation
// while a program on CPU 1 (a worker) looks it up and uses it. The program
// only ever sees whole generations, in order; swapped-out inner maps are
// released (destroyed, bytes no longer counted) only after CPU 1 passed a
// quiescent point, so a program never finds the map it holds destroyed.
const FIXTURE = new URL('./fixtures/aom-program.mjs', import.meta.url);
const STOP = 0, READY = 1, ROUNDS = 3, PAUSE = 4, PAUSED = 5;
const INNER = { type: 'array', keySize: 4, valueSize: 4, maxEntries: 4 } as const;
const GENERATIONS = 60;

function generation(g: number, domain: QuiescenceDomain): BpfMap {
  const m = createMap(INNER, { domain });
  m.updateU32(0, u32(g));
  m.updateU32(1, u32(g * 7));
  return m;
}

describe('array_of_maps from two threads', () => {
  it('inner maps swapped while a program uses them are released after its quiescent points', async () => {
    const domain = QuiescenceDomain.create();
    const aom = outer(2, INNER, domain);
    const own = aom.stats().bytes;
    const innerBytes = generation(0, domain).stats().bytes;
    expect(aom.setInner(0, generation(1, domain))).toBe(0);
    const ctl = controlWords();
    const program = startWorker<{ bad: unknown[]; gens: number }>(FIXTURE, { handle: aom.handle, ctl });
    try {
      await waitUntil(() => Atomics.load(ctl, READY) === 1, 'the program to start', [program]);
      for (let g = 2; g <= GENERATIONS; g++) {
        if (g === GENERATIONS / 2) {
          // Hold the program inside one event while its map is swapped out.
          Atomics.store(ctl, PAUSE, 1);
          await waitUntil(() => Atomics.load(ctl, PAUSED) === 1, 'the program to pause', [program]);
          const held = aom.getInner(0)!;
          expect(aom.setInner(0, generation(g, domain))).toBe(0);
          expect(aom.reclaim()).toBe(0);
          expect(aom.stats().pendingRelease).toBe(1);
          expect(held.lookup(u32(0))).toEqual(u32(g - 1));
          Atomics.store(ctl, PAUSE, 0);
          Atomics.notify(ctl, PAUSE);
        } else {
          expect(aom.setInner(0, generation(g, domain))).toBe(0);
        }
        // Two rounds ended after the swap: a quiescent point of CPU 1 lies
        // between them, so the swapped-out map's grace period is over.
        const rounds = Atomics.load(ctl, ROUNDS);
        await waitUntil(() => Atomics.load(ctl, ROUNDS) > rounds + 1, 'program rounds', [program]);
      }
    } finally {
      Atomics.store(ctl, PAUSE, 0);
      Atomics.store(ctl, STOP, 1);
    }
    const r = await program.result;
    expect(r.bad).toEqual([]);
    expect(r.gens).toBeGreaterThan(GENERATIONS / 2);
    // CPU 1 is offline now: everything swapped out is released.
    aom.reclaim();
    expect(aom.stats()).toMatchObject({ released: GENERATIONS - 1, pendingRelease: 0, innerMaps: 1, bytes: own + innerBytes });
  });
});
