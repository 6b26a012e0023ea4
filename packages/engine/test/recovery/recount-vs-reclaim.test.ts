import { afterEach, describe, expect, it } from 'vitest';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { verify } from '../../src/verify/index.js';
import { FixtureWorker } from '../support/threads.js';
import { key, useRecovery } from './support.js';

// The repair recounts hash_resize's bytes (stats().bytes becomes what the
// map holds, retired memory still in its grace period included). A reclaim
// on another thread switches a retire slot to FREEING, then lets its
// segment go and subtracts its bytes. A recount between the two left the
// slot out (it is no longer pending) and the reclaim then subtracted its
// bytes once more: stats().bytes stayed one freed table too low for good.
// Here a CPU's reclaim is stopped exactly there while the main thread
// repairs after another CPU's death; the reclaim must keep the recount out
// until it is done.

const STALLED_RECLAIMER = new URL('./fixtures/stalled-reclaimer.mjs', import.meta.url);
const WAIT_MS = 20_000;

describe('hash_resize: a byte recount against a reclaim under way on another CPU', () => {
  const { map, cpu, run, kill } = useRecovery();
  const reclaimers: FixtureWorker[] = [];
  afterEach(async () => {
    await Promise.all(reclaimers.splice(0).map((w) => w.stop()));
  });

  it('the repair recounts either before the reclaim began or after it ended: stats().bytes stays what the map holds', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4096, resize: { driver: 'inline', autoResize: false, initialBuckets: 256 } }) as HashResizeMap;
    // CPU 3 is online from here on: the table the grow retires waits for it.
    const reclaimer = new FixtureWorker(STALLED_RECLAIMER, { handle: m.handle, cpu: 3 });
    reclaimers.push(reclaimer);
    expect(await reclaimer.next(WAIT_MS, 'the reclaimer to go online')).toMatchObject({ online: true });
    for (let k = 0; k < 100; k++) expect(m.updateU32(k, key(k))).toBe(0);
    const oldTableBytes = m.cur.bytes;
    expect(m.grow()).toBe(0);
    expect(m.stats()).toMatchObject({ grows: 1, pendingReclaim: 1 });
    expect(m.stats().bytes).toBe(m.bytesHeldWith(m.cur, m.fut));
    // CPU 2 goes online after the grow (the retired table does not wait for it) and will die.
    const doomed = cpu(m, 2);
    await run(doomed, { op: 'read', from: 0, to: 0 });
    // The reclaimer's own grace period check skips itself: the old table is due for it.
    const gate = new Int32Array(new SharedArrayBuffer(4));
    expect(await reclaimer.request({ op: 'reclaim', gate: gate.buffer }, WAIT_MS)).toMatchObject({ stopped: true });
    await kill(doomed, m, 2);
    // The repair (any write after a death would run it) recounts the bytes.
    expect(m.repair()).toMatchObject({ ran: true });
    Atomics.store(gate, 0, 1);
    expect(await reclaimer.next(WAIT_MS, 'the reclaim to end')).toMatchObject({ freed: 1, stops: 1 });
    const s = m.stats();
    expect(s).toMatchObject({ pendingReclaim: 0, entries: 100 });
    expect(s.bytes, `the old table (${oldTableBytes} bytes) was subtracted once`).toBe(m.bytesHeldWith(m.cur, m.fut));
    expect(verify(m).problems).toEqual([]);
  });
});
