import { describe, expect, it } from 'vitest';
import { BPF_EXIST, Errno } from '../../src/errno.js';
import type { BpfMap } from '../../src/maps/map.js';
import { filled, hex, keyOf, u32Of } from '../support/bytes.js';
import { HASH_MODES, useMaps } from '../support/maps.js';

const N = 50;

/** Walks with getNextKey from null; returns the keys in order and the final result code. */
function walk(m: BpfMap, onKey?: (k: Uint8Array) => void): { keys: Uint8Array[]; end: number } {
  const keys: Uint8Array[] = [];
  let cur: Uint8Array | null = null;
  for (let steps = 0; steps <= m.spec.maxEntries; steps++) {
    const next = new Uint8Array(m.spec.keySize);
    const rc = m.getNextKey(cur, next);
    if (rc !== 0) return { keys, end: rc };
    keys.push(next);
    onKey?.(next);
    cur = next;
  }
  throw new Error(`getNextKey walked more than maxEntries (${m.spec.maxEntries}) keys: it loops`);
}

describe.each(HASH_MODES)('HASH getNextKey ($mode)', ({ flags }) => {
  const make = useMaps();
  // 64 buckets for 50 keys: several chains hold more than one key.
  const filledMap = (extra: object = {}) => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64, flags: { ...flags, ...extra } });
    for (let i = 0; i < N; i++) m.update(keyOf(i * 7919), filled(i));
    return m;
  };

  it('on an empty map reports -ENOENT at once', () => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64, flags });
    const next = filled(0xaa);
    expect(m.getNextKey(null, next)).toBe(-Errno.ENOENT);
    expect(m.getNextKey(keyOf(5), next)).toBe(-Errno.ENOENT);
  });

  it('getNextKey(null) gives the first key of the walk, which is in the map', () => {
    const m = filledMap();
    const first = new Uint8Array(4);
    expect(m.getNextKey(null, first)).toBe(0);
    expect(m.lookup(first)).toBeDefined();
    expect(walk(m).keys[0]).toEqual(first);
  });

  it('getNextKey(a key not in the map) gives the first key', () => {
    const m = filledMap();
    const first = new Uint8Array(4);
    m.getNextKey(null, first);
    const next = new Uint8Array(4);
    expect(m.getNextKey(keyOf(123456789), next)).toBe(0);
    expect(next).toEqual(first);
  });

  it('walks every key exactly once and then reports -ENOENT', () => {
    const m = filledMap();
    const { keys, end } = walk(m);
    expect(end).toBe(-Errno.ENOENT);
    expect(keys).toHaveLength(N);
    expect(new Set(keys.map(hex)).size).toBe(N);
    expect(new Set(keys.map(u32Of))).toEqual(new Set(Array.from({ length: N }, (_, i) => i * 7919)));
  });

  it('getNextKey(the last key) reports -ENOENT', () => {
    const m = filledMap();
    const { keys } = walk(m);
    expect(m.getNextKey(keys[keys.length - 1]!, new Uint8Array(4))).toBe(-Errno.ENOENT);
  });

  it('updating values in place during the walk does not disturb it', () => {
    const m = filledMap();
    const before = walk(m).keys;
    const { keys, end } = walk(m, (k) => {
      expect(m.update(k, filled(0xff), BPF_EXIST)).toBe(0);
    });
    expect(end).toBe(-Errno.ENOENT);
    expect(keys).toEqual(before);
    for (const k of keys) expect(m.lookup(k)).toEqual(filled(0xff));
  });

  it('with zeroSeed, two maps filled the same way iterate in the same order', () => {
    const a = filledMap({ zeroSeed: true });
    const b = filledMap({ zeroSeed: true });
    const wa = walk(a).keys;
    expect(wa).toHaveLength(N);
    expect(walk(b).keys).toEqual(wa);
  });
});
