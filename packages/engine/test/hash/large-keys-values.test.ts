import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST } from '../../src/errno.js';
import { MAX_KEY_SIZE, MAX_VALUE_SIZE } from '../../src/spec/map-spec.js';
import { digest, valueOf } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

/** A key of `size` bytes that differs from another index's key only near its end. */
function longKey(i: number, size: number): Uint8Array {
  const k = new Uint8Array(size).fill(0xc3);
  k[size - 1] = i;
  k[size - 2] = i >> 8;
  return k;
}

describe.each(HASH_MODES)('HASH at the kernel size limits ($mode)', ({ flags }) => {
  const make = useMaps();

  it('keys of 512 bytes (MAX_KEY_SIZE) insert, look up, iterate and delete', () => {
    expect(MAX_KEY_SIZE).toBe(512);
    const m = make({ type: 'hash', keySize: 512, valueSize: 8, maxEntries: 40, flags });
    for (let i = 0; i < 40; i++) expect(m.update(longKey(i, 512), valueOf(i, 8), BPF_NOEXIST)).toBe(0);
    for (let i = 0; i < 40; i++) expect(m.lookup(longKey(i, 512))).toEqual(valueOf(i, 8));
    expect([...m.keys()]).toHaveLength(40);
    for (let i = 0; i < 40; i += 2) expect(m.delete(longKey(i, 512))).toBe(0);
    for (let i = 0; i < 40; i++) expect(m.lookup(longKey(i, 512)) !== undefined).toBe(i % 2 === 1);
  });

  it('values of 256 KiB (MAX_VALUE_SIZE) are stored, replaced and returned whole', () => {
    expect(MAX_VALUE_SIZE).toBe(256 * 1024);
    const m = make({ type: 'hash', keySize: 4, valueSize: MAX_VALUE_SIZE, maxEntries: 3, flags });
    const vals = [0, 1, 2].map((i) => valueOf(i + 1, MAX_VALUE_SIZE));
    for (let i = 0; i < 3; i++) expect(m.update(longKey(i, 4), vals[i]!, BPF_NOEXIST)).toBe(0);
    for (let i = 0; i < 3; i++) expect(digest(m.lookup(longKey(i, 4)))).toBe(digest(vals[i]));
    const replacement = valueOf(99, MAX_VALUE_SIZE);
    expect(m.update(longKey(1, 4), replacement, BPF_EXIST)).toBe(0);
    expect(digest(m.lookup(longKey(1, 4)))).toBe(digest(replacement));
    expect(digest(m.lookupAndDelete(longKey(2, 4)))).toBe(digest(vals[2]));
    expect(m.lookup(longKey(2, 4))).toBeUndefined();
    expect(digest(m.lookup(longKey(0, 4)))).toBe(digest(vals[0]));
  });

  it('512-byte keys with 256 KiB values together', () => {
    const m = make({ type: 'hash', keySize: 512, valueSize: MAX_VALUE_SIZE, maxEntries: 2, flags });
    const v = valueOf(7, MAX_VALUE_SIZE);
    expect(m.update(longKey(1, 512), v)).toBe(0);
    expect(digest(m.lookup(longKey(1, 512)))).toBe(digest(v));
    const r = m.lookupBatch(null, 2);
    expect(r.count).toBe(1);
    expect(r.keys[0]).toEqual(longKey(1, 512));
    expect(digest(r.values[0])).toBe(digest(v));
  });
});
