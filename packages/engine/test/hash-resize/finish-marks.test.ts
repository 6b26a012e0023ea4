import { describe, expect, it } from 'vitest';
import type { BucketIndex } from '../../src/maps/chained/ids.js';
import { BUCKET_WORDS, SPARE, setLockChecks } from '../../src/maps/chained/table.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { GROW, SHRINK } from '../../src/maps/hash-resize/layout.js';
import { verify } from '../../src/verify/index.js';
import { keyOf, u32Of } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

setLockChecks(true);

// The finish of a resize reads a batch a migrator completed as one word (a
// mark in the SPARE word of the batch's first old bucket, set only after its
// migrateRange returned) and any other batch bucket by bucket. A mark on a
// batch with an unmoved bucket would switch tables while that bucket still
// holds keys: they would be lost. These tests leave one bucket unmoved in
// ways a mark must not cover.

const N = 600;
const BATCH = 48;

describe.each([
  { dir: GROW, name: 'grow' },
  { dir: SHRINK, name: 'shrink' },
])('the finish of a $name and its batch marks', ({ dir }) => {
  const make = useMaps();
  const open = (): HashResizeMap => {
    // 48-bucket batches in a 1024- or 512-bucket table: the last batch is a partial one.
    const m = make({
      type: 'hash_resize',
      keySize: 4,
      valueSize: 4,
      maxEntries: 4096,
      resize: { driver: 'inline', autoResize: false, initialBuckets: dir === GROW ? 1024 : 2048, migrateBatch: BATCH },
    }) as HashResizeMap;
    for (let k = 0; k < N; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    expect(m.beginResize(dir)).toBe(0);
    // This thread's views, with the FUT just published.
    m.tables.refresh();
    return m;
  };
  const marked = (m: HashResizeMap, b: number): number => Atomics.load(m.cur.t.buckets, b * BUCKET_WORDS + SPARE);
  const everyKeyThere = (m: HashResizeMap): void => {
    for (let k = 0; k < N; k++) expect(u32Of(m.lookup(keyOf(k))!), `key ${k}`).toBe(k);
    expect(verify(m).ok).toBe(true);
  };
  /** An old bucket with elements in [from, to). */
  const fullBucket = (m: HashResizeMap, from: number, to: number): BucketIndex => {
    for (let b = from; b < to; b++) if (m.cur.t.head(b as BucketIndex) >= 0) return b as BucketIndex;
    throw new Error(`no bucket with elements in ${from}..${to}`);
  };

  it('batches migrated bucket by bucket are unmarked and read one by one: one bucket left keeps the resize open', () => {
    const m = open();
    const cur = m.cur;
    const fut = m.fut!;
    const left = fullBucket(m, cur.nb - BATCH, cur.nb);
    for (let b = 0; b < cur.nb; b++) if (b !== left) m.migrateBucket(cur, fut, b);
    m.migration.finishResize();
    expect(m.fut?.id).toBe(fut.id);
    m.migrateBucket(cur, fut, left);
    m.migration.finishResize();
    expect(m.fut).toBe(null);
    everyKeyThere(m);
  });

  it('a claim cut short by an error is not marked, and the finish waits for its unmoved bucket', () => {
    const m = open();
    const cur = m.cur;
    const fut = m.fut!;
    // The second claim, [48, 96), meets a bucket this thread already holds
    // (a recursive lock throws) after relinking the buckets before it.
    const held = fullBucket(m, BATCH + 1, 2 * BATCH);
    expect(m.resizeStep(1)).toBe(1);
    expect(marked(m, 0)).toBe(1);
    cur.t.lockBucket(held, m.domain.ownerId());
    try {
      expect(() => m.resizeStep(1)).toThrow(/already held by this thread/);
    } finally {
      cur.t.unlockBucket(held);
    }
    expect(marked(m, BATCH)).toBe(0);
    expect(cur.t.isMoved(held)).toBe(false);
    // Everything else migrated and marked; the cut claim stays with this
    // thread's record, so it is finished bucket by bucket.
    while (m.resizeStep(1) > 0);
    for (let b = 2 * BATCH; b < cur.nb; b += BATCH) expect(marked(m, b), `batch at ${b}`).toBe(1);
    m.migration.finishResize();
    expect(m.fut?.id).toBe(fut.id);
    for (let b = BATCH; b < 2 * BATCH; b++) m.migrateBucket(cur, fut, b);
    m.migration.finishResize();
    expect(m.fut).toBe(null);
    everyKeyThere(m);
  });
});
