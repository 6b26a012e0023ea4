import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import type { ResizeOptions } from '../../src/spec/map-spec.js';
import { keyOf, valueOf } from '../support/bytes.js';
import { tableWords } from '../../src/maps/hash-resize/layout.js';
import { useMaps } from '../support/maps.js';
import { settled } from './modes.js';
import { setLockChecks } from '../../src/maps/chained/table.js';

// Lock contracts checked in this thread.
setLockChecks(true);

// grow() / shrink(), the talk's bpf_grow() / bpf_shrink(): 0 when a resize
// starts, -EBUSY while one is under way, -E2BIG past the bound that maxEntries
// sets, -EINVAL at the minimum of 4 buckets or when the entries would not fit
// below the grow watermark of the smaller table.

describe('grow() and shrink() results', () => {
  const make = useMaps();
  const map = (maxEntries: number, resize: ResizeOptions) =>
    make({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries, resize: { autoResize: false, ...resize } }) as HashResizeMap;

  it('at the minimum of 4 buckets, shrink() is -EINVAL and changes nothing', () => {
    const m = map(64, { driver: 'inline' });
    expect(m.shrink()).toBe(-Errno.EINVAL);
    expect(m.stats()).toMatchObject({ buckets: 4, shrinks: 0, state: 'idle' });
  });

  it('grow() doubles the table (0) until the bound maxEntries sets, then -E2BIG', () => {
    // maxEntries 24 at the 0.75 grow watermark needs 32 buckets: 4 -> 8 -> 16 -> 32, no further.
    const m = map(24, { driver: 'inline' });
    for (const buckets of [8, 16, 32]) {
      expect(m.grow()).toBe(0);
      expect(m.stats()).toMatchObject({ buckets, state: 'idle' });
    }
    expect(m.grow()).toBe(-Errno.E2BIG);
    expect(m.stats()).toMatchObject({ buckets: 32, grows: 3 });
  });

  it('shrink() halves the table (0), and is -EINVAL when the entries would sit above the grow watermark', () => {
    const m = map(64, { driver: 'inline', initialBuckets: 16 });
    // 6 entries: 8 buckets hold them below 0.75 x 8 = 6, 4 buckets would not (6 > 3).
    for (let k = 0; k < 6; k++) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    expect(m.shrink()).toBe(0);
    expect(m.stats()).toMatchObject({ buckets: 8, shrinks: 1 });
    expect(m.shrink()).toBe(-Errno.EINVAL);
    expect(m.stats()).toMatchObject({ buckets: 8, shrinks: 1 });
    for (let k = 0; k < 6; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it('while a resize is under way, grow() and shrink() are -EBUSY (counted) and resizeStep() moves it on', () => {
    const m = map(1024, { driver: 'help', initialBuckets: 64, migrateBatch: 8 });
    for (let k = 0; k < 30; k++) m.update(keyOf(k), valueOf(k, 8));
    expect(m.grow()).toBe(0);
    expect(m.stats()).toMatchObject({ state: 'resizing', resizing: { direction: 'grow', toBuckets: 128, migrated: 8, of: 64 } });
    expect(m.grow()).toBe(-Errno.EBUSY);
    expect(m.shrink()).toBe(-Errno.EBUSY);
    expect(m.stats().ebusy).toBe(2);
    expect(m.resizeStep(2)).toBe(2);
    expect((m.stats().resizing as { migrated: number }).migrated).toBe(24);
    expect(m.resizeStep(100)).toBe(5);
    expect(m.stats()).toMatchObject({ state: 'idle', resizing: null, buckets: 128, grows: 1 });
    expect(m.resizeStep(1)).toBe(0);
    for (let k = 0; k < 30; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
    expect(m.shrink()).toBe(0);
    expect(m.stats()).toMatchObject({ state: 'resizing', resizing: { direction: 'shrink', toBuckets: 64 } });
  });

  it('with the deferred driver, grow() returns at once and the resizer thread completes the resize', async () => {
    const m = map(1024, { driver: 'deferred', initialBuckets: 64 });
    for (let k = 0; k < 30; k++) m.update(keyOf(k), valueOf(k, 8));
    expect(m.grow()).toBe(0);
    await settled(m);
    expect(m.stats()).toMatchObject({ buckets: 128, grows: 1 });
    for (let k = 0; k < 30; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  });

  it('bytes follow the table: a grow adds the new table, the old one stops counting after its grace period', async () => {
    const m = map(1 << 16, { driver: 'inline', initialBuckets: 1024 });
    const tableBytes = (nb: number) => tableWords(nb) * 4;
    const fresh = m.stats().bytes;
    expect(m.grow()).toBe(0);
    await settled(m);
    expect(m.stats().bytes - fresh).toBe(tableBytes(2048) - tableBytes(1024));
    expect(m.shrink()).toBe(0);
    await settled(m);
    expect(m.stats().bytes).toBe(fresh);
  });
});
