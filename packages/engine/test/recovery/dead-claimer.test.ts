import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QuiescenceDomain, createMap, type BpfMap } from '../../src/index.js';
import { verify } from '../../src/verify/index.js';
import { BUILT_ENGINE, FixtureWorker, until, within } from '../support/threads.js';
import { DYING_CPU, key } from './support.js';

// A hash_resize migration batch claimed by a CPU that dies unmarked is taken
// over, so the resize finishes. Found by kill-at-random.test.ts: a resize
// stayed under way for good (grow()/shrink() -EBUSY from then on), in two
// ways. The batch is claimed in the redo record of the claimer's slot;
// deadClaim looked only at the records of slots already known dead, and
// nothing had asked the OS about this one (replacement on another CPU id);
// and a CPU started on the dead CPU's id shares that record, so its first
// claim overwrote the dead one (replacement on the same id).

const BOUND_MS = 5000;
const KEYS = 6;
/** The replacement's writes, each of which helps the resize (help driver). */
const REPLACEMENT = `
  const { parentPort, workerData } = require('node:worker_threads');
  import(workerData.engine).then(({ attachMap, enterCpu }) => {
    const m = attachMap(workerData.handle);
    enterCpu(workerData.cpu);
    m.domain.cpuOnline(workerData.cpu);
    const rcs = [];
    for (let i = 0; i < 50; i++) rcs.push(m.update(new Uint8Array([i % ${KEYS}, 0, 0, 0]), new Uint8Array(8).fill(i % ${KEYS})));
    parentPort.postMessage({ rcs });
  });`;

describe('a migration batch claimed by a CPU that died unmarked', () => {
  const maps: BpfMap[] = [];
  const workers: (FixtureWorker | Worker)[] = [];
  beforeAll(() => {
    if (!existsSync(BUILT_ENGINE)) throw new Error('build the engine first: npx tsc -b packages/engine');
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => (w instanceof Worker ? within(w.terminate(), 10_000, 'a worker to terminate') : w.stop())));
    for (const m of maps.splice(0)) m.destroy();
  });

  /** Rewrites key 0 until the resize is over (with the help driver, writers move it on); bounded. */
  const finish = (m: BpfMap, what: string) =>
    until(
      () => {
        m.update(key(0), new Uint8Array(8).fill(0));
        return m.stats().state === 'idle';
      },
      BOUND_MS,
      what,
    );

  for (const cpu of [0, 1]) {
    it(`is taken over when the next CPU runs ${cpu === 1 ? 'on the id of the dead CPU (their shared record)' : 'on another id'}: the resize finishes and the map resizes again`, async () => {
      const domain = QuiescenceDomain.create();
      const m = createMap(
        { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 64, resize: { driver: 'help', ebusyPolicy: 'fail', initialBuckets: 8, migrateBatch: 2, autoResize: false } },
        { domain },
      );
      maps.push(m);
      for (let k = 0; k < KEYS; k++) expect(m.update(key(k), new Uint8Array(8).fill(k))).toBe(0);
      // The help driver: grow() migrates the first batch (old buckets 0 and 1) and returns.
      expect(m.grow()).toBe(0);

      // CPU 1 claims old buckets 2 and 3, migrates one, and dies. Nobody marks it dead.
      const dying = new FixtureWorker(DYING_CPU, { handle: m.handle, cpu: 1 });
      workers.push(dying);
      expect(await dying.request({ op: 'half-batch' }, 10_000)).toMatchObject({ start: 2, end: 4, migrated: 1 });
      await dying.stop();

      const next = new Worker(REPLACEMENT, { eval: true, workerData: { handle: m.handle, cpu, engine: new URL('index.js', BUILT_ENGINE).href } });
      workers.push(next);
      const r = await within(new Promise<{ rcs: number[] }>((resolve) => next.once('message', resolve)), 10_000, "the next CPU's writes");
      expect(r.rcs.every((rc) => rc === 0), `the next CPU's writes: ${r.rcs.join(',')}`).toBe(true);

      await finish(m, 'the resize the dead CPU took part in to finish');
      expect(m.stats().buckets).toBe(16);
      expect(m.grow()).toBe(0);
      await finish(m, 'the next resize to finish');
      expect(m.stats().buckets).toBe(32);
      for (let k = 0; k < KEYS; k++) expect(m.lookup(key(k)), `key ${k}`).toEqual(new Uint8Array(8).fill(k));
      m.repair();
      expect(verify(m).problems).toEqual([]);
    });
  }
});
