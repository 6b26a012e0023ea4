import { describe, expect, it } from 'vitest';
import type { Reply } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';

// Lookups take no lock and must never return a torn value (a mix of two
// writes). Two writer threads keep rewriting one key's value, every byte of
// each write equal to a counter; readers (worker threads and this thread)
// check that every value they get has all bytes equal.
//
// The test must be able to fail, so the last scenario runs the 4096-byte load
// against a deliberately unsynchronised read path (the value bytes copied
// straight out of the SharedArrayBuffer, no seqlock) and requires that it
// DOES see torn values. On this machine even 50-byte values tear within a few
// thousand unsynchronised reads, but only when writer and reader really run at
// the same moment; 4096-byte copies keep the window wide enough that a run on
// 2 cores busy with other work still shows it long before the cap.

const DONE = 0;
const GO = 1;
const READY = 3;
const WRITERS = 2;
const WAIT_MS = 90_000;

interface Load {
  type: 'hash' | 'array';
  valueSize: number;
  readers: number;
  readerRole: 'reader' | 'raw-reader';
  writerIterations: number;
  /** Whether this thread reads too (through the map's lookup). */
  mainReads: boolean;
}

interface LoadResult {
  writers: Reply[];
  readers: Reply[];
  main: { reads: number; torn: number; misses: number; distinct: number };
}

const run = useThreadsAndMap();

async function runLoad(load: Load): Promise<LoadResult> {
  const m = run.map({ type: load.type, keySize: 4, valueSize: load.valueSize, maxEntries: 4 });
  const key = new Uint8Array(4);
  expect(m.update(key, new Uint8Array(load.valueSize))).toBe(0);
  const ctlSab = new SharedArrayBuffer(16);
  const ctl = new Int32Array(ctlSab);
  const fixture = new URL('./fixtures/torn-worker.mjs', import.meta.url);
  const common = { ctlSab, writers: WRITERS, iterations: load.writerIterations, readCap: 200_000_000 };
  for (let id = 0; id < WRITERS; id++) run.thread(fixture, { ...common, role: 'writer', id });
  for (let id = 0; id < load.readers; id++) run.thread(fixture, { ...common, role: load.readerRole, id });

  const main = { reads: 0, torn: 0, misses: 0, distinct: 0 };
  // Everyone attached and waiting: start them together so the load overlaps.
  const all = await run.runTogether(ctl, { ready: READY, go: GO }, { barrierMs: WAIT_MS, reportMs: WAIT_MS }, () => {
    if (!load.mainReads) return;
    const out = new Uint8Array(load.valueSize);
    const seen = new Set<number>();
    const deadline = Date.now() + WAIT_MS / 2;
    while (Atomics.load(ctl, DONE) < WRITERS && Date.now() < deadline) {
      if (m.lookupInto(key, out) !== 0) main.misses++;
      else if (out.some((b) => b !== out[0])) main.torn++;
      else seen.add(out[0]!);
      main.reads++;
    }
    main.distinct = seen.size;
  });
  return { writers: all.slice(0, WRITERS), readers: all.slice(WRITERS), main };
}

describe('lock-free lookups never return a torn value', () => {
  for (const type of ['hash', 'array'] as const) {
    it(`${type}, 50-byte values: 2 writers, 2 reader threads and the main thread`, async () => {
      const r = await runLoad({ type, valueSize: 50, readers: 2, readerRole: 'reader', writerIterations: 200_000, mainReads: true });
      for (const w of r.writers) expect(w).toMatchObject({ writes: 200_000, failures: 0 });
      for (const rd of r.readers) {
        expect(rd.torn).toBe(0);
        expect(rd.misses).toBe(0);
      }
      expect(r.main.torn).toBe(0);
      expect(r.main.misses).toBe(0);
      // The readers really raced the writers: they saw the value change.
      const distinct = Math.max(r.main.distinct, ...r.readers.map((rd) => rd.distinct as number));
      expect(distinct).toBeGreaterThan(1);
    });

    it(`${type}, 4096-byte values: 2 writers and 1 reader thread`, async () => {
      const r = await runLoad({ type, valueSize: 4096, readers: 1, readerRole: 'reader', writerIterations: 50_000, mainReads: false });
      for (const w of r.writers) expect(w).toMatchObject({ writes: 50_000, failures: 0 });
      expect(r.readers[0]).toMatchObject({ torn: 0, misses: 0 });
      expect(r.readers[0]!.distinct).toBeGreaterThan(1);
    });
  }

  it('the same load DOES tear values read without the seqlock (so the checks above can fail)', async () => {
    // Writers stop as soon as a raw reader reports a torn value; the cap bounds the run if none ever does.
    const r = await runLoad({ type: 'hash', valueSize: 4096, readers: 1, readerRole: 'raw-reader', writerIterations: 3_000_000, mainReads: false });
    for (const w of r.writers) expect(w.failures).toBe(0);
    expect(r.readers[0]!.torn).toBeGreaterThan(0);
  });
});
