import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { EbusyPolicy, ResizeDriver } from '../../src/spec/map-spec.js';
import { checkKeyHistory, type KeyOp } from '@rightsize/engine/testing';
import { until } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';
import { hexOf, valueFor } from './fixtures/values.mjs';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread and in its worker threads (they inherit the environment).
setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

// Per-key linearizability during resizes: 2 threads run random operations on
// the same keys at the same time (in lockstep, key by key) while a third
// thread forces grows and shrinks; every operation is recorded with clock
// readings around it. Each key's history (6 operations per thread, plus a
// final lookup from this thread once all is quiet) must be explained by some
// order of its operations consistent with real time under the kernel's
// semantics. -EBUSY results (policy 'fail') must have changed nothing.

const KEYS = { base: 5_000_000, count: 1000 };
const OPS_PER_KEY = 6;
const VALUE_SIZE = 16;
const RO = { base: 6_000_000, count: 800 };
const RO_WRITER = 9;
const RUN_MS = 90_000;

const CONFIGS: { driver: ResizeDriver; ebusyPolicy: EbusyPolicy }[] = [
  { driver: 'help', ebusyPolicy: 'help' },
  { driver: 'deferred', ebusyPolicy: 'fail' },
];

describe.each(CONFIGS)('per-key histories recorded during resizes are linearizable (driver $driver, policy $ebusyPolicy)', ({ driver, ebusyPolicy }) => {
  const tm = useThreadsAndMap();

  it(`${KEYS.count} keys, ${2 * OPS_PER_KEY} overlapping operations each`, async () => {
    const m = tm.map({ type: 'hash_resize', keySize: 4, valueSize: VALUE_SIZE, maxEntries: 4096, resize: { driver, ebusyPolicy, initialBuckets: 1024 } }) as HashResizeMap;
    // Entries for the resizes to move around, besides the keys under test.
    for (let i = 0; i < RO.count; i++) {
      let rc = -Errno.EBUSY;
      for (let tries = 0; rc === -Errno.EBUSY && tries < 100_000; tries++) rc = m.updateU32(RO.base + i, valueFor(RO.base + i, RO_WRITER, 0, VALUE_SIZE));
      expect(rc).toBe(0);
    }
    const ctl = new Int32Array(new SharedArrayBuffer(32));
    const writer = new URL('./fixtures/history-writer.mjs', import.meta.url);
    const writers = [0, 1].map((id) => tm.thread(writer, { ctlSab: ctl.buffer, id, base: KEYS.base, count: KEYS.count, opsPerKey: OPS_PER_KEY }));
    const forcer = tm.thread(new URL('./fixtures/resize-forcer.mjs', import.meta.url), {
      ctlSab: ctl.buffer,
      untilStop: true,
      ro: RO,
      roWriter: RO_WRITER,
      deadlineMs: RUN_MS,
    });
    const threads = [...writers, forcer];
    const reports = threads.map((t) => t.next(RUN_MS + 30_000, 'a history thread to finish'));
    await until(() => Atomics.load(ctl, 1) === threads.length, 30_000, 'every thread at the start barrier');
    const before = m.stats();
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    const recorded = await Promise.all(reports.slice(0, 2));
    Atomics.store(ctl, 2, 1);
    const f = await reports[2]!;
    const after = m.stats();
    expect({ roMisses: f.roMisses, roWrong: f.roWrong }).toEqual({ roMisses: 0, roWrong: 0 });
    // The histories were recorded while the table kept changing size.
    expect((after.grows as number) + (after.shrinks as number) - (before.grows as number) - (before.shrinks as number)).toBeGreaterThanOrEqual(10);

    if (driver === 'help') while (m.resizeStep(64) > 0);
    const out = new Uint8Array(VALUE_SIZE);
    const failures: unknown[] = [];
    let overlapping = 0;
    let ebusy = 0;
    for (let i = 0; i < KEYS.count; i++) {
      const k = KEYS.base + i;
      const h: KeyOp[] = [...(recorded[0]!.histories as KeyOp[][])[i]!, ...(recorded[1]!.histories as KeyOp[][])[i]!];
      ebusy += h.filter((o) => o.result === -Errno.EBUSY).length;
      // Operations of the two threads that overlap in time: the run really was concurrent.
      for (const a of h.slice(0, OPS_PER_KEY)) for (const b of h.slice(OPS_PER_KEY)) if (!(a.end < b.start || b.end < a.start)) overlapping++;
      const start = process.hrtime.bigint();
      const rc = m.lookupU32Into(k, out);
      h.push({ op: 'lookup', value: rc === 0 ? hexOf(out) : null, result: rc, start, end: process.hrtime.bigint() });
      const r = checkKeyHistory(h);
      if (r.verdict !== 'linearizable') failures.push({ key: k, verdict: r.verdict, history: h.map((o) => ({ ...o, start: String(o.start), end: String(o.end) })) });
    }
    expect(failures.slice(0, 3)).toEqual([]);
    expect(overlapping).toBeGreaterThan(100);
    if (ebusyPolicy === 'help') expect(ebusy).toBe(0);
  }, RUN_MS + 60_000);
});
