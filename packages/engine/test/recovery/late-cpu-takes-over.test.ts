import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import { verify } from '../../src/verify/index.js';
import { until, within } from '../support/threads.js';
import { DOOMED_CPU, key, useRecovery } from './support.js';

// The case issue 18 found: a CPU is killed holding a bucket lock in the
// middle of a value write; a new CPU started afterwards (on the dead CPU's
// id) attaches the map and meets that lock while every other thread is busy:
// one CPU looking keys up in a synchronous loop (it never writes, so it never
// runs the repair that would take the lock over first), the main thread
// spinning. Taking the lock over means replaying the dead CPU's redo record,
// a segment the new CPU must reach by itself. Nobody marks the dead CPU dead.

const BUSY_CPU = 0;
const KEY = 7;
const LOCK_TIMEOUT_MS = 3000;

describe('a CPU started after a death takes the dead CPU lock over while the other threads are busy', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(LOCK_TIMEOUT_MS);

  it('every thread goes on within the lock timeout, no lock stays held, every acknowledged write is present, verify is clean', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 16, maxEntries: 1024, nCpus: 2 });
    for (let k = 0; k < 20; k++) expect(m.update(key(k), new Uint8Array(16).fill(k))).toBe(0);

    const progress = new Int32Array(new SharedArrayBuffer(8));
    const busy = new Worker(new URL('./fixtures/busy-cpu.mjs', import.meta.url), {
      workerData: { handle: m.handle, cpu: BUSY_CPU, progressSab: progress.buffer },
    });
    busy.postMessage({ op: 'lookups', keys: 20 });
    try {
      // The busy CPU is in its loop before anything else happens.
      await until(() => Atomics.load(progress, 0) > 0, 10_000, 'the busy CPU to start reading');
      // The doomed CPU writes for the first time (its redo record is made now,
      // after the busy CPU attached) and dies halfway through the value.
      const doomed = cpu(m, DOOMED_CPU);
      await run(doomed, { op: 'half-write', key: KEY, fill: 0xaa });
      await kill(doomed, m, DOOMED_CPU, false);

      const done = new Int32Array(new SharedArrayBuffer(12));
      const late = new Worker(new URL('./fixtures/late-cpu.mjs', import.meta.url), {
        workerData: { handle: m.handle, cpu: DOOMED_CPU, key: KEY, fill: 0xbb, doneSab: done.buffer },
      });
      let thrown = '';
      late.on('message', (msg: { thrown?: string }) => (thrown = msg.thrown ?? ''));
      // The main thread spins and answers nothing until the late CPU is through.
      const deadline = performance.now() + LOCK_TIMEOUT_MS + 2000;
      while (Atomics.load(done, 0) === 0 && performance.now() < deadline) Atomics.wait(done, 0, 0, 1);
      await within(new Promise((r) => late.once('exit', r)), 10_000, 'the late CPU to exit');
      expect(thrown).toBe('');
      expect(Atomics.load(done, 0)).toBe(1);
      expect(Atomics.load(done, 1)).toBe(0);

      // The late CPU was the one that took the lock over and replayed the record.
      expect(m.recoveryCounts().locksRecovered).toBe(1);
      expect(m.recoveryCounts().recordsReplayed).toBe(1);
      // The main thread gets the same lock at once: nobody holds it.
      expect(m.lookup(key(KEY))).toEqual(new Uint8Array(16).fill(0xbb));
      expect(m.update(key(KEY), new Uint8Array(16).fill(0xcc))).toBe(0);
      expect(m.lookup(key(KEY))).toEqual(new Uint8Array(16).fill(0xcc));
    } finally {
      await within(busy.terminate(), 10_000, 'the busy CPU to stop');
    }
    // The busy CPU kept reading all along, and never saw a missing key or a torn value.
    expect(progress[0]).toBeGreaterThan(0);
    expect(progress[1]).toBe(0);
    for (let k = 0; k < 20; k++) if (k !== KEY) expect(m.lookup(key(k))).toEqual(new Uint8Array(16).fill(k));
    m.repair();
    expect(verify(m).problems.map((p) => JSON.stringify(p)).join('\n')).toBe('');
  }, 30_000);
});
