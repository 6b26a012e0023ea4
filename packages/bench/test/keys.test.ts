import { describe, expect, it } from 'vitest';
import { keySequence } from '../src/harness/keys.js';

describe('key sequences', () => {
  it('sequential is 0..n-1 in order, in shared memory', () => {
    const sab = keySequence(5, 'sequential', 1);
    expect(sab).toBeInstanceOf(SharedArrayBuffer);
    expect([...new Uint32Array(sab)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('shuffled is a permutation of 0..n-1, the same for the same seed, another for another seed', () => {
    const a = [...new Uint32Array(keySequence(1000, 'shuffled', 7))];
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...new Uint32Array(keySequence(1000, 'shuffled', 7))]).toEqual(a);
    expect([...new Uint32Array(keySequence(1000, 'shuffled', 8))]).not.toEqual(a);
    expect(a).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('refuses a bad count or order', () => {
    expect(() => keySequence(0, 'sequential', 1)).toThrow(RangeError);
    expect(() => keySequence(4, 'backwards' as never, 1)).toThrow(TypeError);
  });
});
