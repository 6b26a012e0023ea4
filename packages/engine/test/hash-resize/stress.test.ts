import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import type { EbusyPolicy, ResizeDriver } from '../../src/spec/map-spec.js';
import type { Reply } from '../support/threads.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';
import { decodeValue, valueFor } from './fixtures/values.mjs';
import { settled } from './modes.js';

// Stress: 2 CPU threads run a random mix of inserts, updates, deletes and
// lookups on their own keys, on keys both of them write, and on read-only
// keys, while a third thread forces grow and shrink continuously until at
// least 100 resizes completed. Every result the CPUs get is checked as they
// go (their own keys have an exact expected state), every value read must be
// whole, the read-only keys must never miss; at the end every key's presence
// and value must be what the last successful operations left.

// Lock contracts are checked here and in the worker threads (which inherit the environment).
setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

const VALUE_SIZE = 24;
const RO = { base: 1_000_000, count: 128 };
/** The writer id the read-only keys' values carry (not a CPU's). */
const RO_WRITER = 7;
const OWN_PER_WRITER = 256;
const CONT = { base: 3_000_000, count: 32 };
const WRITERS = 2;
const TARGET_RESIZES = 100;
const RUN_MS = 150_000;

/**
 * 'help' + 'help' with automatic resizing on: forced grows race the automatic
 * shrinks that follow them. 'deferred' + 'retry' with automatic resizing off:
 * only the forced resizes, full cycles from the largest table maxEntries
 * allows down to the smallest that still holds the entries below the grow
 * watermark; few retries, so that -EBUSY reaches the CPUs' own retry loops.
 * 'deferred' + 'fail', the kernel's way: -EBUSY is left only to new keys
 * that meet a full future table, at most 1% of the writes.
 */
const CONFIGS: { driver: ResizeDriver; ebusyPolicy: EbusyPolicy; autoResize: boolean; retries: number }[] = [
  { driver: 'help', ebusyPolicy: 'help', autoResize: true, retries: 64 },
  { driver: 'deferred', ebusyPolicy: 'retry', autoResize: false, retries: 4 },
  { driver: 'deferred', ebusyPolicy: 'fail', autoResize: false, retries: 64 },
];

describe.each(CONFIGS)('stress: 2 CPUs and a thread forcing resizes (driver $driver, policy $ebusyPolicy, autoResize $autoResize)', ({ driver, ebusyPolicy, autoResize, retries }) => {
  const run = useThreadsAndMap();

  it(`at least ${TARGET_RESIZES} resizes; nothing lost, nothing phantom, nothing torn`, async () => {
    const m = run.map({ type: 'hash_resize', keySize: 4, valueSize: VALUE_SIZE, maxEntries: 4096, resize: { driver, ebusyPolicy, autoResize, retries, initialBuckets: autoResize ? 4 : 1024 } }) as HashResizeMap;
    for (let i = 0; i < RO.count; i++) {
      const k = RO.base + i;
      let rc = -Errno.EBUSY;
      for (let tries = 0; rc === -Errno.EBUSY && tries < 100_000; tries++) rc = m.updateU32(k, valueFor(k, RO_WRITER, 0, VALUE_SIZE));
      expect(rc).toBe(0);
    }
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const own = (id: number) => ({ base: 2_000_000 + id * OWN_PER_WRITER, count: OWN_PER_WRITER });
    const writerFixture = new URL('./fixtures/stress-writer.mjs', import.meta.url);
    const forcerFixture = new URL('./fixtures/resize-forcer.mjs', import.meta.url);
    for (let id = 0; id < WRITERS; id++) {
      run.thread(writerFixture, { ctlSab: ctl.buffer, id, valueSize: VALUE_SIZE, ro: RO, own: own(id), cont: CONT, roWriter: RO_WRITER, deadlineMs: RUN_MS });
    }
    run.thread(forcerFixture, { ctlSab: ctl.buffer, target: TARGET_RESIZES, ro: RO, roWriter: RO_WRITER, deadlineMs: RUN_MS });
    const all = await run.runTogether(ctl, { ready: 1, go: 0 }, { barrierMs: 30_000, reportMs: RUN_MS + 30_000, what: 'a stress thread to finish' });
    const w = all.slice(0, WRITERS) as (Reply & { ownState: number[]; insOk: number[]; delOk: number[]; lastSeq: number[] })[];
    const f = all[WRITERS]!;

    // The run itself.
    expect(f.grows as number + (f.shrinks as number)).toBeGreaterThanOrEqual(TARGET_RESIZES);
    expect({ roMisses: f.roMisses, roWrong: f.roWrong }).toEqual({ roMisses: 0, roWrong: 0 });
    for (const r of w) {
      expect({ wrong: r.wrong, torn: r.torn, roMisses: r.roMisses, roWrong: r.roWrong }).toEqual({ wrong: [], torn: 0, roMisses: 0, roWrong: 0 });
      expect(r.ops as number).toBeGreaterThan(1000);
      if (ebusyPolicy === 'help') expect(r.ebusy).toBe(0);
    }
    const writes = w.reduce((n, r) => n + (r.writes as number), 0);
    const ebusy = w.reduce((n, r) => n + (r.ebusy as number), 0);
    if (ebusyPolicy === 'fail') expect(ebusy).toBeLessThanOrEqual(0.01 * writes);

    // The final state: exact for every key.
    if (driver === 'help') while (m.resizeStep(64) > 0);
    await settled(m, 30_000);
    const out = new Uint8Array(VALUE_SIZE);
    const expected = new Set<number>();
    const problems: string[] = [];
    for (let i = 0; i < RO.count; i++) {
      const k = RO.base + i;
      expected.add(k);
      if (m.lookupU32Into(k, out) !== 0 || decodeValue(out, k)?.writer !== RO_WRITER) problems.push(`read-only ${k}`);
    }
    w.forEach((r, id) => {
      r.ownState.forEach((s, i) => {
        const k = own(id).base + i;
        const rc = m.lookupU32Into(k, out);
        if (s < 0) {
          if (rc !== -Errno.ENOENT) problems.push(`own ${k} of ${id}: phantom`);
          return;
        }
        expected.add(k);
        const d = rc === 0 ? decodeValue(out, k) : null;
        if (d === null || d.writer !== id || d.seq !== s) problems.push(`own ${k} of ${id}: lost or stale (${rc}, ${JSON.stringify(d)}, want seq ${s})`);
      });
    });
    for (let i = 0; i < CONT.count; i++) {
      const k = CONT.base + i;
      const balance = w.reduce((b, r) => b + r.insOk[i]! - r.delOk[i]!, 0);
      const rc = m.lookupU32Into(k, out);
      if (balance !== 0 && balance !== 1) problems.push(`contended ${k}: inserts minus deletes is ${balance}`);
      if (balance === 0) {
        if (rc !== -Errno.ENOENT) problems.push(`contended ${k}: phantom`);
        continue;
      }
      expected.add(k);
      const d = rc === 0 ? decodeValue(out, k) : null;
      // The last successful write wins, and it was its writer's last successful write to that key.
      if (d === null || d.seq !== w[d.writer]?.lastSeq[i]) problems.push(`contended ${k}: lost or stale (${rc}, ${JSON.stringify(d)})`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(m.stats().entries).toBe(expected.size);
    const walked = [...m.keys()].map((k) => new DataView(k.buffer).getUint32(0, true));
    expect(walked.length).toBe(expected.size);
    expect(new Set(walked)).toEqual(expected);
  }, RUN_MS + 60_000);
});
