import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { BpfMap } from '../../src/maps/map.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { hex, keyOf, valueOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// Bad arguments to map operations are programmer errors: a TypeError or
// RangeError naming the argument, thrown before anything changes. Bad update
// flags are a runtime condition in the kernel's API: -EINVAL, nothing changes.

const SPECS: { name: string; spec: MapSpec }[] = [
  { name: 'hash', spec: { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 } },
  { name: 'hash noPrealloc', spec: { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8, flags: { noPrealloc: true } } },
  { name: 'array', spec: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 8 } },
];

/** Not a 4-byte Uint8Array, each for its own reason. */
const BAD_BYTES: [string, unknown][] = [
  ['a string', 'abcd'],
  ['a number', 1],
  ['null', null],
  ['undefined', undefined],
  ['a plain array', [1, 2, 3, 4]],
  ['an ArrayBuffer', new ArrayBuffer(4)],
  ['a DataView', new DataView(new ArrayBuffer(4))],
  ['an Int8Array', new Int8Array(4)],
  ['a Uint16Array of 4 bytes', new Uint16Array(2)],
  ['a Uint8Array one byte short', new Uint8Array(3)],
  ['a Uint8Array one byte long', new Uint8Array(5)],
  ['an empty Uint8Array', new Uint8Array(0)],
];

const BAD_VALUES: [string, unknown][] = [
  ...BAD_BYTES.slice(0, 9),
  ['a Uint8Array one byte short', new Uint8Array(7)],
  ['a Uint8Array one byte long', new Uint8Array(9)],
];

/** Everything the map holds, as comparable data. */
function snapshot(m: BpfMap): { entries: number; contents: [string, string][] } {
  return { entries: m.stats().entries, contents: [...m.keys()].map((k) => [hex(k), hex(m.lookup(k)!)]) };
}

/** Expects `fn` to throw `cls` with a message matching `field`. */
function expectThrows(fn: () => unknown, cls: typeof TypeError | typeof RangeError, field: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(cls);
  expect((thrown as Error).message).toMatch(field);
}

describe.each(SPECS)('bad operation input ($name)', ({ spec }) => {
  const make = useMaps();
  const prepared = () => {
    const m = make(spec);
    for (const i of [1, 3, 5]) m.update(keyOf(i), valueOf(i, 8));
    return { m, before: snapshot(m) };
  };

  for (const [what, bad] of BAD_BYTES) {
    it(`a key that is ${what} throws a TypeError naming the key, for every operation, and changes nothing`, () => {
      const { m, before } = prepared();
      const k = bad as Uint8Array;
      expectThrows(() => m.lookup(k), TypeError, /^key /);
      expectThrows(() => m.lookupInto(k, new Uint8Array(8)), TypeError, /^key /);
      expectThrows(() => m.update(k, valueOf(9, 8)), TypeError, /^key /);
      expectThrows(() => m.update(k, valueOf(9, 8), 99), TypeError, /^key /);
      expectThrows(() => m.delete(k), TypeError, /^key /);
      expectThrows(() => m.lookupAndDelete(k), TypeError, /^key /);
      expectThrows(() => m.atomicAdd(k, 0, 1), TypeError, /^key /);
      if (k !== null) expectThrows(() => m.getNextKey(k, new Uint8Array(4)), TypeError, /^key /);
      expectThrows(() => m.updateBatch([keyOf(7), k], [valueOf(7, 8), valueOf(8, 8)]), TypeError, /^key /);
      expectThrows(() => m.deleteBatch([keyOf(1), k]), TypeError, /^key /);
      expect(snapshot(m)).toEqual(before);
    });
  }

  for (const [what, bad] of BAD_VALUES) {
    it(`a value that is ${what} throws a TypeError naming the value and changes nothing`, () => {
      const { m, before } = prepared();
      expectThrows(() => m.update(keyOf(1), bad as Uint8Array), TypeError, /^value /);
      expectThrows(() => m.update(keyOf(2), bad as Uint8Array), TypeError, /^value /);
      expectThrows(() => m.updateU32(2, bad as Uint8Array), TypeError, /^value /);
      expectThrows(() => m.updateBatch([keyOf(2), keyOf(4)], [valueOf(2, 8), bad as Uint8Array]), TypeError, /^value /);
      expect(snapshot(m)).toEqual(before);
    });
  }

  it('an output buffer that is too short or not a Uint8Array throws a TypeError naming out', () => {
    const { m, before } = prepared();
    expectThrows(() => m.lookupInto(keyOf(1), new Uint8Array(7)), TypeError, /^out /);
    expectThrows(() => m.lookupInto(keyOf(1), [0, 0, 0, 0, 0, 0, 0, 0] as unknown as Uint8Array), TypeError, /^out /);
    expectThrows(() => m.lookupAndDeleteInto(keyOf(1), new Uint8Array(2)), TypeError, /^out /);
    expectThrows(() => m.getNextKey(null, new Uint8Array(3)), TypeError, /^next /);
    expectThrows(() => m.getNextKey(keyOf(1), 'next' as unknown as Uint8Array), TypeError, /^next /);
    expect(snapshot(m)).toEqual(before);
  });

  it('a numeric key that is not a u32 throws a TypeError and changes nothing', () => {
    const { m, before } = prepared();
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN, '1', null]) {
      expectThrows(() => m.updateU32(bad as number, valueOf(1, 8)), TypeError, /U32 key/);
      expectThrows(() => m.lookupU32Into(bad as number, new Uint8Array(8)), TypeError, /U32 key/);
      expectThrows(() => m.deleteU32(bad as number), TypeError, /U32 key/);
    }
    expect(snapshot(m)).toEqual(before);
  });

  it('bad update flags return -EINVAL and change nothing', () => {
    const { m, before } = prepared();
    for (const f of [3, 7, 8, 0x10, -1, 1.5, Number.NaN, 2 ** 40]) {
      expect(m.update(keyOf(1), valueOf(0, 8), f)).toBe(-Errno.EINVAL);
      expect(m.update(keyOf(2), valueOf(0, 8), f)).toBe(-Errno.EINVAL);
      expect(m.updateU32(2, valueOf(0, 8), f)).toBe(-Errno.EINVAL);
    }
    expect(m.updateBatch([keyOf(2)], [valueOf(0, 8)], { elemFlags: 3 })).toEqual({ err: -Errno.EINVAL, count: 0 });
    expect(snapshot(m)).toEqual(before);
  });

  it('a bad batch count or cursor throws naming it; mismatched batch arrays throw; nothing changes', () => {
    const { m, before } = prepared();
    const badCounts: [unknown, typeof TypeError | typeof RangeError][] = [
      [Number.NaN, TypeError],
      [-1, RangeError],
      [1.5, TypeError],
      ['4', TypeError],
    ];
    for (const [count, cls] of badCounts) expectThrows(() => m.lookupBatch(null, count as number), cls, /count/);
    expectThrows(() => m.lookupBatch(-1, 4), RangeError, /cursor/);
    expectThrows(() => m.lookupBatch(0.5, 4), TypeError, /cursor/);
    expectThrows(() => m.updateBatch([keyOf(2)], []), TypeError, /updateBatch/);
    expectThrows(() => m.updateBatch(keyOf(2) as unknown as Uint8Array[], [valueOf(2, 8)]), TypeError, /updateBatch/);
    expectThrows(() => m.deleteBatch(keyOf(2) as unknown as Uint8Array[]), TypeError, /deleteBatch/);
    expect(snapshot(m)).toEqual(before);
  });
});
