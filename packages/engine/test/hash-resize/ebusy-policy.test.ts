import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { hashKey } from '../../src/hash/hasher.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { EbusyPolicy } from '../../src/spec/map-spec.js';
import { filled, keyOf, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// What an update or delete does when it meets a resize, per policy. The
// resize is forced and held by this thread: autoResize off, the 'help' driver
// (only callers migrate), one old bucket per migration step. grow() starts it
// and migrates bucket 0; every update or delete that meets it migrates one
// more bucket first, then deals with its own key's bucket: under 'fail' a key
// whose bucket is still waiting gets -EBUSY; under 'help' the caller migrates
// that bucket and completes; under 'retry' it waits (here: migrates) and tries again.

const BUCKETS = 128;
const KEYS = 60;
/** The old bucket of a key (zero seed, so known in advance). */
const bucketOf = (k: number) => hashKey(keyOf(k), 0) & (BUCKETS - 1);

describe('EBUSY policies on updates and deletes that meet a forced resize', () => {
  const make = useMaps();
  const held = (ebusyPolicy: EbusyPolicy, retries = 64) => {
    const m = make({
      type: 'hash_resize',
      keySize: 4,
      valueSize: 8,
      maxEntries: 4096,
      flags: { zeroSeed: true },
      resize: { initialBuckets: BUCKETS, autoResize: false, driver: 'help', ebusyPolicy, retries, migrateBatch: 1 },
    }) as HashResizeMap;
    for (let k = 0; k < KEYS; k++) expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST)).toBe(0);
    return m;
  };
  // Keys in the last old buckets: the first updates after grow() meet them unmigrated.
  const late = Array.from({ length: KEYS }, (_, k) => k).sort((a, b) => bucketOf(b) - bucketOf(a));
  const finish = (m: HashResizeMap) => {
    while (m.resizeStep(1000) > 0);
    expect(m.stats().state).toBe('idle');
  };

  it("'fail': -EBUSY at least once during the resize, never before or after it, and a refused update changes nothing", () => {
    const m = held('fail');
    for (const k of late) expect(m.update(keyOf(k), filled(1, 8), BPF_EXIST), `before the resize, key ${k}`).toBe(0);
    expect(m.stats().ebusy).toBe(0);

    expect(m.grow()).toBe(0);
    expect(m.stats().state).toBe('resizing');
    const results = late.map((k) => [k, m.update(keyOf(k), filled(2, 8), BPF_EXIST)] as const);
    const busy = results.filter(([, rc]) => rc === -Errno.EBUSY).map(([k]) => k);
    expect(results.every(([, rc]) => rc === 0 || rc === -Errno.EBUSY)).toBe(true);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    // The first key's bucket (the last old bucket) cannot have been migrated by one step.
    expect(busy).toContain(late[0]);
    expect(m.stats().ebusy).toBe(busy.length);
    for (const [k, rc] of results) expect(m.lookup(keyOf(k))).toEqual(filled(rc === 0 ? 2 : 1, 8));
    // Deletes and inserts meet it the same way; lookups never do.
    expect(m.stats().state).toBe('resizing');
    // Buckets are handed out in order; the delete migrates one more before it looks at its own.
    const lastBucketKey = late[0]!;
    expect(bucketOf(lastBucketKey)).toBeGreaterThan((m.stats().resizing as { migrated: number }).migrated + 1);
    expect(m.delete(keyOf(lastBucketKey))).toBe(-Errno.EBUSY);
    let newKey = 100_000;
    while (bucketOf(newKey) !== bucketOf(lastBucketKey)) newKey++;
    expect(m.update(keyOf(newKey), filled(9, 8), BPF_NOEXIST)).toBe(-Errno.EBUSY);
    expect(m.lookup(keyOf(newKey))).toBeUndefined();
    expect(m.lookup(keyOf(lastBucketKey))).toEqual(filled(1, 8));

    finish(m);
    const before = m.stats().ebusy;
    for (const k of late) expect(m.update(keyOf(k), filled(3, 8), BPF_EXIST), `after the resize, key ${k}`).toBe(0);
    for (const k of late) expect(m.delete(keyOf(k))).toBe(0);
    expect(m.stats().ebusy).toBe(before);
    expect(m.stats()).toMatchObject({ entries: 0, buckets: 2 * BUCKETS, grows: 1 });
  });

  it("'help': never -EBUSY; every update and delete completes during the resize", () => {
    const m = held('help');
    expect(m.grow()).toBe(0);
    for (const k of late) expect(m.update(keyOf(k), filled(2, 8), BPF_EXIST), `key ${k}`).toBe(0);
    expect(m.stats().state).toBe('resizing');
    for (const k of late) expect(m.lookup(keyOf(k))).toEqual(filled(2, 8));
    for (const k of late.slice(0, 20)) expect(m.delete(keyOf(k))).toBe(0);
    for (let k = 1000; k < 1020; k++) expect(m.update(keyOf(k), valueOf(k, 8), BPF_NOEXIST)).toBe(0);
    expect(m.stats().ebusy).toBe(0);
    finish(m);
    expect(m.stats()).toMatchObject({ entries: KEYS, ebusy: 0, buckets: 2 * BUCKETS });
    for (const k of late.slice(20)) expect(m.lookup(keyOf(k))).toEqual(filled(2, 8));
  });

  it("'retry': retries are counted, and with room to retry the resize moves on until the update completes", () => {
    // Each retry migrates one bucket here: BUCKETS retries are always enough.
    const m = held('retry', BUCKETS);
    expect(m.grow()).toBe(0);
    for (const k of late) expect(m.update(keyOf(k), filled(2, 8), BPF_EXIST), `key ${k}`).toBe(0);
    expect(m.stats().ebusy).toBe(0);
    expect(m.stats().retries as number).toBeGreaterThan(0);
  });

  it("'retry' with too few retries gives -EBUSY after them, counted", () => {
    const m = held('retry', 2);
    expect(m.grow()).toBe(0);
    expect(m.update(keyOf(late[0]!), filled(2, 8), BPF_EXIST)).toBe(-Errno.EBUSY);
    expect(m.stats()).toMatchObject({ ebusy: 1, retries: 2 });
    expect(m.lookup(keyOf(late[0]!))).toEqual(valueOf(late[0]!, 8));
  });
});
