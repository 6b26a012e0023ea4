import { describe, expect, it } from 'vitest';
import { BPF_NOEXIST } from '../../src/errno.js';
import { elemLayout } from '../../src/maps/chained/layout.js';
import { MAX_VALUE_SIZE } from '../../src/spec/map-spec.js';
import { digest, keyOf, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

const MiB = 1024 * 1024;

// A noPrealloc map allocates elements as entries arrive: the memory it holds
// (stats().bytes, the figure the right-sizing experiment plots) follows the
// entries in steps that are small beside the bound, even for big values.
describe('HASH noPrealloc memory', () => {
  const make = useMaps();

  it('holds only the bucket array (and its chunk directory) before the first insert', () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000, flags: { noPrealloc: true } });
    // 1024 buckets of 16 bytes; the directory: a counter and one word for each
    // of the 32 chunks of 32 elements the bound may take.
    expect(m.stats().bytes).toBe(1024 * 16 + (1 + 32) * 4);
    expect(m.stats().chunks).toBe(0);
  });

  it('grows by chunks as entries arrive, up to about the bound', () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1000, flags: { noPrealloc: true } });
    const buckets = m.stats().bytes;
    m.update(keyOf(0), valueOf(0, 8));
    const one = m.stats().bytes - buckets;
    expect(one).toBeGreaterThan(0);
    for (let i = 1; i < 1000; i++) expect(m.update(keyOf(i), valueOf(i, 8), BPF_NOEXIST)).toBe(0);
    const full = m.stats().bytes - buckets;
    expect(one).toBeLessThan(full / 8);
    // The chunks hold the bound, rounded up to less than one more chunk.
    const elemBytes = elemLayout(4, 8).stride * 4;
    expect(full).toBeGreaterThanOrEqual(1000 * elemBytes);
    expect(full).toBeLessThan(1000 * elemBytes + one);
  });

  it('with 256 KiB values and a large bound, one entry costs a small chunk, not a slice of the bound', () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: MAX_VALUE_SIZE, maxEntries: 1 << 20, flags: { noPrealloc: true } });
    const buckets = m.stats().bytes;
    // The buckets, and a directory word per possible chunk (a few thousand of them).
    expect(buckets - (1 << 20) * 16).toBeGreaterThan(0);
    expect(buckets - (1 << 20) * 16).toBeLessThan(64 * 1024);
    const v = valueOf(3, MAX_VALUE_SIZE);
    expect(m.update(keyOf(1), v)).toBe(0);
    expect(digest(m.lookup(keyOf(1)))).toBe(digest(v));
    expect(m.stats().bytes - buckets).toBeLessThanOrEqual(64 * MiB);
  });
});
