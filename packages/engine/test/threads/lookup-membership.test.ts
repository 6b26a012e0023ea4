import { describe, expect, it } from 'vitest';
import { HASH_MODES } from '../support/maps.js';
import { useThreadsAndMap } from '../support/threads-and-map.js';

// A lock-free lookup never misses a key that is present for the whole lookup
// and never finds a key that is absent for the whole lookup, even while other
// threads insert and delete keys of the same chains and the freed elements are
// reused in other chains (what the kernel's hlist_nulls guards against).

const GO = 1;
const READY = 3;
const CHURNERS = 2;
const WAIT_MS = 90_000;
const VALUE_SIZE = 12;

// 16 buckets: 8 stable keys and 8 churning keys share chains.
const MAX_ENTRIES = 16;
const STABLE = [1, 2, 3, 4, 5, 6, 7, 8];
const CHURN = [101, 102, 103, 104, 105, 106, 107, 108];
const ABSENT = [201, 202, 203, 204, 205, 206, 207, 208];

const run = useThreadsAndMap();

describe.each(HASH_MODES)('lookups under insert/delete churn on the same chains ($mode)', ({ flags }) => {
  it('stable keys are always found with their value, absent keys never', async () => {
    const m = run.map({ type: 'hash', keySize: 4, valueSize: VALUE_SIZE, maxEntries: MAX_ENTRIES, flags });
    for (const k of STABLE) {
      const v = new Uint8Array(VALUE_SIZE);
      new DataView(v.buffer).setUint32(0, k, true);
      for (let i = 4; i < VALUE_SIZE; i++) v[i] = (k * 13 + i) & 0xff;
      expect(m.updateU32(k, v)).toBe(0);
    }
    const ctlSab = new SharedArrayBuffer(16);
    const ctl = new Int32Array(ctlSab);
    const fixture = new URL('./fixtures/churn-worker.mjs', import.meta.url);
    const common = { ctlSab, churners: CHURNERS, iterations: 20_000, churnKeys: CHURN, stableKeys: STABLE, absentKeys: ABSENT, readCap: 100_000_000 };
    for (let id = 0; id < CHURNERS; id++) run.thread(fixture, { ...common, role: 'churner', id });
    run.thread(fixture, { ...common, role: 'checker', id: 0 });
    const [c0, c1, check] = await run.runTogether(ctl, { ready: READY, go: GO }, { barrierMs: WAIT_MS, reportMs: WAIT_MS });

    expect(c0!.failures).toBe(0);
    expect(c1!.failures).toBe(0);
    expect(check).toMatchObject({ missed: 0, wrongValue: 0, phantom: 0 });
    expect(check!.reads as number).toBeGreaterThan(1000);
    expect(m.stats().entries).toBe(STABLE.length);
    expect([...m.keys()].length).toBe(STABLE.length);
  });
});
