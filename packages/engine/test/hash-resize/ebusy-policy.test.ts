import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { EbusyPolicy, ResizeDriver } from '../../src/spec/map-spec.js';
import { filled, keyOf, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// What writes do when they meet a resize, per policy (rhashtable's rules).
// An update or delete of an existing key works wherever the key is (its old
// bucket not yet migrated, or the future table): never -EBUSY. A new key
// goes into the newest table; -EBUSY is left for a new key that meets a
// resize whose newest table is at 100% load, and the policy decides: 'fail'
// returns it, 'retry' waits (here: migrates) a bounded number of times,
// 'help' migrates the resize to its end and inserts.
//
// The resize is forced and held by this thread: the 'help' driver (only
// callers migrate: each write that meets the resize migrates one old bucket
// first). A shrink from 1024 to 512 buckets with 40 entries leaves room for
// 472 new keys in the future table, reached before the 1024 old buckets are
// all migrated.

setLockChecks(true);

const BUCKETS = 1024;
const HALF = BUCKETS / 2;
const KEYS = 40;

describe('writes that meet a forced resize', () => {
  const make = useMaps();
  const held = (ebusyPolicy: EbusyPolicy, opts: { retries?: number; autoResize?: boolean } = {}) => {
    const m = make({
      type: 'hash_resize',
      keySize: 4,
      valueSize: 8,
      maxEntries: 4096,
      flags: { zeroSeed: true },
      resize: { initialBuckets: BUCKETS, autoResize: opts.autoResize ?? false, driver: 'help', ebusyPolicy, retries: opts.retries ?? 64, migrateBatch: 1 },
    }) as HashResizeMap;
    for (let k = 0; k < KEYS; k++) expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST)).toBe(0);
    return m;
  };
  const finish = (m: HashResizeMap) => {
    while (m.resizeStep(1000) > 0);
    expect(m.stats().state).toBe('idle');
  };

  it("'fail': updates and deletes of existing keys never -EBUSY; a new key is -EBUSY only once the newest table is full, counted, and changes nothing", () => {
    const m = held('fail');
    expect(m.shrink()).toBe(0);
    expect(m.stats()).toMatchObject({ state: 'resizing', resizing: { direction: 'shrink', toBuckets: HALF } });
    // Every existing key, migrated or not: updates (each flag), adds, deletes.
    for (let k = 0; k < KEYS; k++) expect(m.update(keyOf(k), filled(2, 8), k % 2 === 0 ? BPF_EXIST : BPF_ANY), `update ${k}`).toBe(0);
    for (let k = 0; k < KEYS; k++) expect(m.update(keyOf(k), filled(3, 8), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    for (let k = 0; k < 8; k++) expect(m.delete(keyOf(k)), `delete ${k}`).toBe(0);
    expect(m.stats().ebusy).toBe(0);
    expect(m.stats().state).toBe('resizing');
    // New keys go into the future table until it holds HALF entries.
    let k = 10_000;
    while (m.stats().entries < HALF) expect(m.update(keyOf(k), valueOf(k++, 8), BPF_NOEXIST), `insert ${k - 1}`).toBe(0);
    expect(m.stats().state).toBe('resizing');
    expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST)).toBe(-Errno.EBUSY);
    expect(m.update(keyOf(k), valueOf(k, 8), BPF_ANY)).toBe(-Errno.EBUSY);
    expect(m.lookup(keyOf(k))).toBeUndefined();
    expect(m.stats().ebusy).toBe(2);
    // Existing keys still work, in full.
    expect(m.update(keyOf(KEYS - 1), filled(4, 8), BPF_EXIST)).toBe(0);
    expect(m.delete(keyOf(KEYS - 1))).toBe(0);
    expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST)).toBe(0);
    finish(m);
    expect(m.stats()).toMatchObject({ entries: HALF, buckets: HALF, ebusy: 2, shrinks: 1 });
    // Idle and full with autoResize off: a new key is -E2BIG, as a full HASH.
    expect(m.update(keyOf(5000), valueOf(5000, 8))).toBe(-Errno.E2BIG);
    for (let i = 8; i < KEYS - 1; i++) expect(m.lookup(keyOf(i))).toEqual(filled(2, 8));
    expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it("'help': never -EBUSY; a new key that meets a full future table finishes the resize, grows, and goes in", () => {
    const m = held('help', { autoResize: true });
    expect(m.shrink()).toBe(0);
    for (let k = 0; k < KEYS; k++) expect(m.update(keyOf(k), filled(2, 8), BPF_EXIST), `key ${k}`).toBe(0);
    for (let k = 10_000; k < 10_600; k++) expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST), `insert ${k}`).toBe(0);
    for (let k = 0; k < 10; k++) expect(m.delete(keyOf(k))).toBe(0);
    expect(m.stats().ebusy).toBe(0);
    finish(m);
    expect(m.stats()).toMatchObject({ entries: KEYS + 590, ebusy: 0, shrinks: 1, grows: 1 });
    for (let k = 10; k < KEYS; k++) expect(m.lookup(keyOf(k))).toEqual(filled(2, 8));
    for (let k = 10_000; k < 10_600; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it("'retry': retries are counted, and with room to retry the resize moves on until the insert completes", () => {
    // Each retry migrates one bucket here: BUCKETS retries are always enough.
    const m = held('retry', { retries: BUCKETS, autoResize: true });
    expect(m.shrink()).toBe(0);
    for (let k = 10_000; k < 10_600; k++) expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST), `insert ${k}`).toBe(0);
    expect(m.stats().ebusy).toBe(0);
    expect(m.stats().retries as number).toBeGreaterThan(0);
  });

  it("'retry' with too few retries gives -EBUSY after them, counted; existing keys are never retried", () => {
    const m = held('retry', { retries: 2 });
    expect(m.shrink()).toBe(0);
    for (let k = KEYS; m.stats().entries < HALF; k++) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    expect(m.update(keyOf(99_999), filled(2, 8))).toBe(-Errno.EBUSY);
    expect(m.stats()).toMatchObject({ ebusy: 1, retries: 2 });
    expect(m.update(keyOf(3), filled(2, 8), BPF_EXIST)).toBe(0);
    expect(m.stats()).toMatchObject({ ebusy: 1, retries: 2 });
    expect(m.lookup(keyOf(99_999))).toBeUndefined();
  });
});

// The rule, under every policy and driver: forced grows and shrinks
// held at every stage, and at each stage every existing key is updated,
// added to and deleted (then put back). None of those writes may see -EBUSY.
const POLICIES: EbusyPolicy[] = ['fail', 'retry', 'help'];
const DRIVERS: ResizeDriver[] = ['help', 'inline', 'deferred'];

describe.each(POLICIES)('updates and deletes of existing keys never see -EBUSY (policy %s)', (ebusyPolicy) => {
  const make = useMaps();
  it.each(DRIVERS)('driver %s, through 20 forced resizes held at every stage', (driver) => {
    const m = make({
      type: 'hash_resize',
      keySize: 4,
      valueSize: 8,
      maxEntries: 4096,
      resize: { initialBuckets: 256, autoResize: false, driver, ebusyPolicy, retries: 2, migrateBatch: 16 },
    }) as HashResizeMap;
    const N = 150;
    for (let k = 0; k < N; k++) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    const results = new Map<number, number>();
    const note = (rc: number) => results.set(rc, (results.get(rc) ?? 0) + 1);
    const touchAll = (round: number) => {
      for (let k = 0; k < N; k++) {
        note(m.update(keyOf(k), filled(round & 0xff, 8), BPF_EXIST));
        note(m.atomicAdd(keyOf(k), 0, 1));
        if (k % 5 === round % 5) {
          note(m.delete(keyOf(k)));
          note(m.update(keyOf(k), filled(round & 0xff, 8), BPF_NOEXIST));
        }
      }
    };
    for (let round = 0; round < 20; round++) {
      const rc = round % 2 === 0 ? m.grow() : m.shrink();
      expect(rc, `resize ${round}`).toBe(0);
      touchAll(round);
      while (m.resizeStep(1) > 0) touchAll(round);
      // The deferred resizer finishes by itself; this thread helps it along.
      for (let i = 0; m.stats().state !== 'idle' && i < 100_000; i++) touchAll(round);
      expect(m.stats().state).toBe('idle');
    }
    expect([...results.keys()]).toEqual([0]);
    expect(m.stats()).toMatchObject({ ebusy: 0, entries: N, grows: 10, shrinks: 10 });
  });
});
