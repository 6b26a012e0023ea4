import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import { RESIZER_OWNER } from '../../src/maps/hash-resize/layout.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from './support.js';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread and in its worker threads (they inherit the environment).
setLockChecks(true);
process.env.RIGHTSIZE_LOCK_CHECKS = '1';

// The deferred resizer of a hash_resize map is a worker thread started by
// whichever thread first asks for a resize. When that is a CPU worker and
// the CPU is killed, the resizer dies with it (a worker's nested workers
// end with it), in a userspace slot nobody marks dead. The map notices that
// its resizer's starter is dead, marks the resizer dead too, and takes over
// what it held: the resize lock and a bucket lock, here.

describe("hash_resize: a deferred resizer killed with the CPU that started it", () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  it('its locks are taken over, its slot is marked dead, and the map goes on resizing', async () => {
    const m = map({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 4096, resize: { driver: 'deferred', ebusyPolicy: 'retry' } });
    for (let k = 0; k < 3; k++) expect(m.update(key(k), new Uint8Array(8).fill(k))).toBe(0);
    const doomed = cpu(m);
    const r = await run(doomed, { op: 'spawn-resizer', key: 1 });
    const resizer = r.resizer as number;
    expect(m.domain.isDeadOwner(resizer)).toBe(false);
    await kill(doomed, m);
    // The bucket lock of key 1 and R_LOCK are held by the dead resizer.
    expect(m.update(key(1), new Uint8Array(8).fill(11))).toBe(0);
    expect(m.domain.isDeadOwner(resizer)).toBe(true);
    expect(Atomics.load(m.header.words, RESIZER_OWNER)).not.toBe(resizer);
    // Enough entries for several grows: a new resizer (started from this thread) does them.
    for (let k = 3; k < 1000; k++) {
      let rc: number;
      for (let tries = 0; (rc = m.update(key(k), new Uint8Array(8).fill(k & 0xff))) === -Errno.EBUSY; tries++) expect(tries).toBeLessThan(100_000);
      expect(rc).toBe(0);
    }
    const deadline = Date.now() + 20_000;
    while (m.stats().state !== 'idle' || (m.stats().buckets as number) < 1024) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((res) => setTimeout(res, 5));
    }
    expect(m.lookup(key(1))).toEqual(new Uint8Array(8).fill(11));
    m.repair();
    expect(verify(m).problems).toEqual([]);
  });
});
