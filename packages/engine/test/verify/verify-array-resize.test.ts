import { describe, expect, it } from 'vitest';
import { AR_DEAD, AR_NSUB, AR_SEG_DIR, AR_SIZE, AR_VERSION, type ArrayResizeMap } from '../../src/maps/array-resize/array-resize-map.js';
import { verify } from '../../src/verify/index.js';
import { u32 } from '../lru/helpers.js';
import { useMaps } from '../support/maps.js';

// verify() on array_resize: the published size, the directory, every live entry.

describe('verify: array_resize', () => {
  const make = useMaps();

  function grown(): ArrayResizeMap {
    const m = make({ type: 'array_resize', keySize: 4, valueSize: 4, maxEntries: 40, arrayResize: { subArraySize: 8 } }) as ArrayResizeMap;
    expect(m.grow(3)).toBe(0);
    expect(m.shrink()).toBe(0);
    for (let i = 0; i < 24; i++) expect(m.updateU32(i, u32(i))).toBe(0);
    return m;
  }

  it('a map grown and shrunk passes', () => {
    const r = verify(grown());
    expect(r.problems).toEqual([]);
    expect(r.checked).toMatchObject({ subArrays: 3, slots: 24 });
  });

  it('an odd VERSION and a SIZE that does not match NSUB are reported', () => {
    const m = grown();
    Atomics.add(m.header.words, AR_VERSION, 1);
    Atomics.store(m.header.words, AR_SIZE, 17);
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/VERSION \d+ is odd/);
    expect(text).toMatch(/SIZE 17 does not match NSUB 3/);
  });

  it('a DEAD entry in a live sub-array and a directory entry past NSUB are reported', () => {
    const m = grown();
    const dir = new Int32Array(m.segments.get(AR_SEG_DIR));
    const sub1 = new Int32Array(m.segments.get(dir[1]!));
    sub1[0] = AR_DEAD;
    dir[Atomics.load(m.header.words, AR_NSUB)] = dir[0]!;
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/entry 8: DEAD in a live sub-array/);
    expect(text).toMatch(/past NSUB/);
  });
});
