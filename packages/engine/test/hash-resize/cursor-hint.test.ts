import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { CURSOR, GROW, SHRINK } from '../../src/maps/hash-resize/layout.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import { verify } from '../../src/verify/index.js';
import { keyOf, u32Of } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

setLockChecks(true);

// During a resize, lookups and writes of a key whose old bucket lies below
// the migration cursor look in the future table first (a hint: the batch
// may be claimed and not yet migrated). These tests put the cursor where
// the hint is wrong, past old buckets that were not migrated, and where it
// is right, and check that every operation keeps its meaning either way.

const N = 200;

describe.each([
  { dir: GROW, name: 'grow' },
  { dir: SHRINK, name: 'shrink' },
])('the cursor hint during a $name', ({ dir }) => {
  const make = useMaps();
  const open = (): HashResizeMap => {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 4096, resize: { driver: 'inline', autoResize: false, initialBuckets: 1024 } }) as HashResizeMap;
    for (let k = 0; k < N; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    expect(m.beginResize(dir)).toBe(0);
    return m;
  };

  it('with the cursor past old buckets nobody migrated, every key is found, updated, added to and deleted where it is, and none is inserted twice', () => {
    const m = open();
    const oldNb = m.cur.nb;
    // As if every batch were claimed and none migrated yet.
    m.words[CURSOR] = oldNb;
    for (let k = 0; k < N; k++) expect(u32Of(m.lookup(keyOf(k))!), `key ${k}`).toBe(k);
    for (let k = 0; k < N; k += 2) expect(m.update(keyOf(k), keyOf(k + 1000), BPF_EXIST)).toBe(0);
    for (let k = 1; k < N; k += 4) expect(m.update(keyOf(k), keyOf(0), BPF_NOEXIST)).toBe(-Errno.EEXIST);
    for (let k = 3; k < N; k += 4) expect(m.update(keyOf(k), keyOf(k + 2000), BPF_ANY)).toBe(0);
    for (let k = 5; k < N; k += 8) expect(m.delete(keyOf(k))).toBe(0);
    // New keys go into the future table.
    for (let k = N; k < N + 50; k++) expect(m.update(keyOf(k), keyOf(k), BPF_NOEXIST)).toBe(0);
    expect(m.stats().entries).toBe(N - N / 8 + 50);
    // The migration then runs from where it really is.
    m.words[CURSOR] = 0;
    while (m.resizeStep(1) > 0) {
      // every batch, in order
    }
    expect(m.fut).toBeNull();
    expect(verify(m).problems).toEqual([]);
    const expected = (k: number): number | undefined => {
      if (k >= N) return k < N + 50 ? k : undefined;
      if (k % 8 === 5) return undefined;
      if (k % 2 === 0) return k + 1000;
      if (k % 4 === 3) return k + 2000;
      return k;
    };
    for (let k = 0; k < N + 60; k++) {
      const v = m.lookup(keyOf(k));
      expect(v === undefined ? undefined : u32Of(v), `key ${k}`).toBe(expected(k));
    }
    let walked = 0;
    for (let k: Uint8Array | null = null, next = new Uint8Array(4); m.getNextKey(k, next) === 0; k = next.slice()) walked++;
    expect(walked).toBe(N - N / 8 + 50);
  });

  it('with the cursor right (the migrated half), keys moved into the future table are found and written there', () => {
    const m = open();
    const oldNb = m.cur.nb;
    m.resizeStep(Math.max(1, Math.floor(oldNb / 2 / m.spec.resize.migrateBatch)));
    expect(m.fut).not.toBeNull();
    for (let k = 0; k < N; k++) expect(u32Of(m.lookup(keyOf(k))!)).toBe(k);
    for (let k = 0; k < N; k++) expect(m.update(keyOf(k), keyOf(k + 7), BPF_EXIST)).toBe(0);
    for (let k = 0; k < N; k += 3) expect(m.delete(keyOf(k))).toBe(0);
    for (let k = 0; k < N; k += 3) expect(m.delete(keyOf(k))).toBe(-Errno.ENOENT);
    while (m.resizeStep(1) > 0) {
      // finish
    }
    expect(verify(m).problems).toEqual([]);
    for (let k = 0; k < N; k++) {
      const v = m.lookup(keyOf(k));
      expect(v === undefined ? undefined : u32Of(v), `key ${k}`).toBe(k % 3 === 0 ? undefined : k + 7);
    }
  });
});
