import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Errno, QuiescenceDomain, createMap, type BpfMap, type MapSpec } from '../../src/index.js';
import { AR_RESIZE_LOCK, AR_VERSION } from '../../src/maps/array-resize/array-resize-map.js';
import type { MapBase } from '../../src/maps/base.js';
import { verify } from '../../src/verify/index.js';
import { BUILT_ENGINE, FixtureWorker, until, within } from '../support/threads.js';
import { DYING_CPU, key } from './support.js';

// A dead CPU never blocks grace periods or resizes (issue 18). A CPU worker
// goes online on a resizable map and then stops answering: blocked in
// Atomics.wait, spinning in a loop, or dead of an uncaught exception. Nobody
// marks it dead. While it lives (online, never quiescent), memory retired by
// a resize cannot be released: that is what grace periods are for, and the
// test checks it, so that it would notice if the CPU did not count. Once its
// thread is gone, the domain finds the death by itself (rcu/liveness.ts) and
// the map grows, shrinks and gives its memory back within a bounded time.

const CPU = 1;
/** How long a dead CPU may hold things up: a few liveness checks, with room for a loaded machine. */
const BOUND_MS = 5000;
/** How long the test watches a live CPU hold a grace period. */
const WATCH_MS = 150;
/** Entries of the hash_resize map: fewer than its 64 buckets, which is all a table holds without autoResize. */
const KEYS = 40;
const FIXTURE = new URL('./fixtures/online-cpu.mjs', import.meta.url);

type End = 'wait' | 'spin' | 'throw';

/** The public API the test relies on: grow/shrink/stats, and reclaim() where the map type has it. */
type Resizable = BpfMap & { reclaim?: () => number };

interface DoomedCpu {
  worker: Worker;
  /** Ends the CPU: terminate() (wait, spin) or its own uncaught exception (throw). */
  die: () => Promise<void>;
}

describe('a CPU worker gone without being marked dead does not hold up grace periods', () => {
  const maps: BpfMap[] = [];
  const workers: Worker[] = [];
  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => within(w.terminate(), 10_000, 'a worker to terminate')));
    for (const m of maps.splice(0)) m.destroy();
  });

  function make(spec: MapSpec): { m: Resizable; domain: QuiescenceDomain } {
    // A domain of its own: the deaths counted are this test's.
    const domain = QuiescenceDomain.create();
    const m = createMap(spec, { domain }) as Resizable;
    maps.push(m);
    return { m, domain };
  }

  async function onlineCpu(m: BpfMap, end: End): Promise<DoomedCpu> {
    const worker = new Worker(FIXTURE, { workerData: { handle: m.handle, cpu: CPU, end } });
    workers.push(worker);
    let thrown: Error | null = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('error', (e) => {
      thrown = e;
    });
    await within(new Promise((resolve) => worker.once('message', resolve)), 10_000, 'the CPU to go online');
    return {
      worker,
      die: async () => {
        if (end === 'throw') worker.postMessage('throw');
        else await within(worker.terminate(), 10_000, 'the CPU worker to terminate');
        await within(exited, 10_000, 'the CPU worker to exit');
        if (end === 'throw') expect(String(thrown)).toMatch(/uncaught exception in a CPU worker/);
      },
    };
  }

  const reclaim = (m: Resizable) => {
    m.reclaim?.();
    return m.stats().bytes;
  };

  /**
   * Waits (bounded) until a resize is over. The deferred driver's resizer
   * thread finishes it on its own; with the help driver, writers move it on,
   * so each poll rewrites key 0 with the value it holds (-EBUSY is the
   * default policy's answer during a resize: it helped all the same).
   */
  const settled = (m: Resizable, buckets: number, what: string) =>
    until(
      () => {
        expect([0, -Errno.EBUSY]).toContain(m.update(key(0), new Uint8Array(64).fill(0)));
        return m.stats().buckets === buckets && m.stats().state !== 'resizing';
      },
      BOUND_MS,
      what,
    );

  /** A grow/shrink call, retried while the map answers -EBUSY (memory in grace, a resize finishing): bounded. */
  async function resize(m: Resizable, dir: 'grow' | 'shrink'): Promise<void> {
    let rc = -Errno.EBUSY;
    await until(() => (rc = m[dir]()) !== -Errno.EBUSY, BOUND_MS, `${dir}() to stop answering -EBUSY`);
    expect(rc, `${dir}()`).toBe(0);
  }

  const hashResizeCases: [string, End][] = [
    ['inline', 'wait'],
    ['inline', 'spin'],
    ['inline', 'throw'],
    ['help', 'wait'],
    ['deferred', 'wait'],
    ['deferred', 'throw'],
  ];
  for (const [driver, end] of hashResizeCases) {
    it(`hash_resize (${driver} driver), CPU ${end === 'throw' ? 'dead of an uncaught exception' : `terminated in ${end === 'wait' ? 'Atomics.wait' : 'a loop'}`}: grows, shrinks and releases memory`, async () => {
      const { m, domain } = make({
        type: 'hash_resize', keySize: 4, valueSize: 64, maxEntries: 4096, resize: { driver: driver as 'inline', initialBuckets: 64, autoResize: false },
      });
      for (let k = 0; k < KEYS; k++) expect(m.update(key(k), new Uint8Array(64).fill(k))).toBe(0);
      const b0 = m.stats().buckets;
      const bytes0 = reclaim(m);
      const deaths0 = domain.deaths();
      const cpu = await onlineCpu(m, end);

      await resize(m, 'grow');
      await settled(m, b0 * 2, 'the grow to finish');
      const grown = m.stats().bytes;
      // The old table waits for the live CPU's quiescent point, which never comes.
      await new Promise((r) => setTimeout(r, WATCH_MS));
      expect(reclaim(m), 'memory released while a live CPU was still online').toBe(grown);
      expect(domain.deaths()).toBe(deaths0);

      await cpu.die();
      // Nobody called markDead: the grace period ends once the OS says the thread is gone.
      await until(() => reclaim(m) < grown, BOUND_MS, 'the retired table to be released after the CPU died');
      expect(domain.deaths(), 'the domain found the death by itself').toBe(deaths0 + 1);
      const afterGrow = m.stats().bytes;

      await resize(m, 'shrink');
      await settled(m, b0, 'the shrink to finish');
      await until(() => reclaim(m) <= bytes0, BOUND_MS, `the bytes to go back down to ${bytes0}`);
      await resize(m, 'grow');
      await settled(m, b0 * 2, 'another grow to finish');
      await until(() => reclaim(m) <= afterGrow, BOUND_MS, 'the table the second grow retired to be released');
      for (let k = 0; k < KEYS; k++) expect(m.lookup(key(k)), `key ${k}`).toEqual(new Uint8Array(64).fill(k));
    });
  }

  for (const end of ['wait', 'spin', 'throw'] as End[]) {
    it(`array_resize, CPU ${end === 'throw' ? 'dead of an uncaught exception' : `terminated in ${end === 'wait' ? 'Atomics.wait' : 'a loop'}`}: a dropped sub-array is released`, async () => {
      const { m, domain } = make({ type: 'array_resize', keySize: 4, valueSize: 64, maxEntries: 256, arrayResize: { subArraySize: 64, initialEntries: 64 } });
      const bytes0 = reclaim(m);
      const deaths0 = domain.deaths();
      const cpu = await onlineCpu(m, end);

      await resize(m, 'grow');
      await resize(m, 'shrink');
      const held = m.stats().bytes;
      expect(held, 'the dropped sub-array counts until it is released').toBeGreaterThan(bytes0);
      await new Promise((r) => setTimeout(r, WATCH_MS));
      expect(reclaim(m), 'a sub-array released while a live CPU was still online').toBe(held);

      await cpu.die();
      await until(() => reclaim(m) === bytes0, BOUND_MS, 'the dropped sub-array to be released after the CPU died');
      expect(domain.deaths(), 'the domain found the death by itself').toBe(deaths0 + 1);
      await resize(m, 'grow');
      await resize(m, 'shrink');
      await until(() => reclaim(m) === bytes0, BOUND_MS, 'a second dropped sub-array to be released');
    });
  }

  it('repair() finds a death nobody met: a CPU that died holding no lock, with an LRU element taken and never linked', async () => {
    // Found by kill-at-random.test.ts: after a kill, the main thread's writes
    // met none of the dead CPU's locks (it held none), so nothing asked the
    // OS about it, and repair() ran nothing ("no death since the last
    // repair"): the element it had popped stayed leaked.
    const { m, domain } = make({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 16 });
    for (let k = 0; k < 4; k++) expect(m.update(key(k), new Uint8Array(8).fill(k))).toBe(0);
    const cpu = new FixtureWorker(DYING_CPU, { handle: m.handle, cpu: CPU });
    await cpu.request({ op: 'leak-pop' }, 10_000);
    await cpu.stop();
    expect(verify(m).problems.join('\n')).toMatch(/leaked/);
    expect(domain.deaths(), 'nobody marked the CPU dead').toBe(0);
    const r = m.repair();
    expect(r).toEqual({ ran: true, reclaimed: 1 });
    // Its CPU slot, and the userspace slot the thread took while it attached.
    expect(domain.deaths()).toBeGreaterThanOrEqual(1);
    expect(verify(m).problems).toEqual([]);
  });

  it('repair() finds a death right after this thread found the CPU alive: the answer remembered for lock waiters does not stand in for the OS', async () => {
    // Found by kill-at-random.test.ts (hash_resize): stats() had asked about
    // the CPU (a grace period waited on it) and remembered it alive for 2 ms;
    // the CPU was killed holding a lock the main thread's writes did not
    // meet, and repair() within those 2 ms took the remembered answer: no
    // death, no repair, and verify found the lock held "by an owner alive".
    // The clock stands still here, so the repair always comes within them.
    const { m, domain } = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 64, resize: { driver: 'inline' } });
    for (let k = 0; k < 8; k++) expect(m.update(key(k), key(k))).toBe(0);
    const cpu = new FixtureWorker(DYING_CPU, { handle: m.handle, cpu: CPU });
    try {
      const { owner } = await cpu.request({ op: 'hold-bucket', key: 3 }, 10_000);
      vi.useFakeTimers({ toFake: ['performance'] });
      try {
        expect(domain.isDeadOwner(owner as number), 'the CPU, asked about while it runs').toBe(false);
        await cpu.stop();
        expect(domain.deaths(), 'nobody marked the CPU dead').toBe(0);
        expect(m.repair()).toMatchObject({ ran: true });
      } finally {
        vi.useRealTimers();
      }
    } finally {
      await cpu.stop();
    }
    expect(m.recoveryCounts().locksRecovered).toBe(1);
    expect(verify(m).problems).toEqual([]);
  });

  it('array_resize: a CPU dead in the middle of publishing a resize does not stop a thread that attaches later from reading', async () => {
    // Found by kill-at-random.test.ts: a CPU started after the death read
    // with a view older than the half-published resize, waited for the
    // resize to be published, and threw after 2 s ("a resize stayed
    // half-published"). Here the death is placed exactly: the dead CPU
    // holds the resize lock with the size's seqlock (VERSION) open, as a
    // grow cut short between its two VERSION adds leaves it.
    const { m, domain } = make({ type: 'array_resize', keySize: 4, valueSize: 64, maxEntries: 256, arrayResize: { subArraySize: 64, initialEntries: 64 } });
    expect(m.update(key(5), new Uint8Array(64).fill(5))).toBe(0);
    const cpu = await onlineCpu(m, 'wait');
    await cpu.die();
    const h = (m as MapBase).header.words;
    // CPU 1's owner id, generation 0: (0 << 11) | (1 + 1).
    Atomics.store(h, AR_RESIZE_LOCK, CPU + 1);
    Atomics.add(h, AR_VERSION, 1);
    expect(domain.deaths(), 'nobody marked the CPU dead').toBe(0);

    const reader = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(workerData.engine).then(({ attachMap, enterCpu }) => {
         const m = attachMap(workerData.handle);
         enterCpu(0);
         m.domain.cpuOnline(0);
         try {
           parentPort.postMessage({ value: Array.from(m.lookup(new Uint8Array([5, 0, 0, 0])) ?? []) });
         } catch (e) {
           parentPort.postMessage({ thrown: String(e) });
         }
       });`,
      { eval: true, workerData: { handle: m.handle, engine: new URL('index.js', BUILT_ENGINE).href } },
    );
    workers.push(reader);
    const r = await within(new Promise<{ value?: number[]; thrown?: string }>((resolve) => reader.once('message', resolve)), 10_000, "the reader's lookup");
    expect(r.thrown).toBeUndefined();
    expect(r.value).toEqual(Array(64).fill(5));
    expect(Atomics.load(h, AR_RESIZE_LOCK), 'the resize lock taken over and released').toBe(0);
    expect(Atomics.load(h, AR_VERSION) & 1, 'the half-published resize finished or undone').toBe(0);
    expect(m.recoveryCounts().locksRecovered).toBe(1);
  });
});
