import { describe, expect, it } from 'vitest';
import { createMap, type MapType } from '../../src/index.js';
import { readU32, u32 } from '../lru/helpers.js';
import { controlWords, startWorker } from '../lru/threads.js';

// Two CPUs (worker threads) write their own per-CPU values of the same keys at
// once; userspace reads every CPU's value while they run and afterwards. Each
// CPU's slot holds exactly what that CPU wrote, the unused CPU's slot stays
// zero, and no write of one CPU lands in another's slot.
const FIXTURE = new URL('./fixtures/percpu-writer.mjs', import.meta.url);
const nCpus = 3;
const ROUNDS = 20_000;

function perCpu(all: Uint8Array): number[] {
  return Array.from({ length: nCpus }, (_, c) => readU32(all, c * 8));
}

describe.each(['percpu_hash', 'percpu_array', 'lru_percpu_hash'] as MapType[])('%s from two threads', (type) => {
  it('values written from 2 CPUs are read from userspace, each in its own slot', async () => {
    const map = createMap({ type, keySize: 4, valueSize: 4, maxEntries: 8, nCpus });
    const zeros = new Uint8Array(nCpus * 8);
    expect(map.updateU32(1, zeros)).toBe(0);
    expect(map.updateU32(2, zeros)).toBe(0);
    const ctl = controlWords();
    const runs = [0, 1].map((cpu) => startWorker<{ fails: Record<string, number>; own: number[] }>(FIXTURE, { handle: map.handle, cpu, rounds: ROUNDS, ctl }));
    // Userspace samples while the CPUs write: every CPU's counter only grows,
    // never past ROUNDS, and CPU 2's stays zero.
    const last = [0, 0, 0];
    let done = false;
    void Promise.all(runs.map((r) => r.result)).finally(() => (done = true));
    while (!done) {
      const now = perCpu(map.lookup(u32(1))!);
      for (let c = 0; c < nCpus; c++) {
        expect(now[c]).toBeGreaterThanOrEqual(last[c]!);
        expect(now[c]).toBeLessThanOrEqual(c < 2 ? ROUNDS : 0);
      }
      last.splice(0, nCpus, ...now);
      await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.all(runs.map((r) => r.result));
    for (const r of results) {
      expect(r.fails).toEqual({});
      // A program reads its own CPU's counter only.
      expect(r.own).toEqual([...u32(ROUNDS)]);
    }
    expect(perCpu(map.lookup(u32(1))!)).toEqual([ROUNDS, ROUNDS, 0]);
    expect(perCpu(map.lookup(u32(2))!)).toEqual([ROUNDS, 1_000_000 + ROUNDS, 0]);
  });
});
