import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/maps/registry.js';

// A bad spec is a programmer error: createMap throws a TypeError or RangeError
// whose message names the offending field, before anything is allocated.

const good = { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 } as const;

/** [what, spec, error class, field named in the message] */
const cases: [string, unknown, typeof TypeError | typeof RangeError, RegExp][] = [
  ['spec null', null, TypeError, /map spec/],
  ['spec a string', 'hash', TypeError, /map spec/],
  ['spec a number', 4, TypeError, /map spec/],
  ['unknown map type', { ...good, type: 'hashmap' }, TypeError, /spec\.type/],
  ['type in the wrong case', { ...good, type: 'HASH' }, TypeError, /spec\.type/],
  ['type missing', { ...good, type: undefined }, TypeError, /spec\.type/],
  ['type a number', { ...good, type: 1 }, TypeError, /spec\.type/],
  ['keySize NaN', { ...good, keySize: Number.NaN }, TypeError, /spec\.keySize/],
  ['keySize negative', { ...good, keySize: -4 }, RangeError, /spec\.keySize/],
  ['keySize 0', { ...good, keySize: 0 }, RangeError, /spec\.keySize/],
  ['keySize non-integer', { ...good, keySize: 4.5 }, TypeError, /spec\.keySize/],
  ['keySize over 512', { ...good, keySize: 513 }, RangeError, /spec\.keySize/],
  ['keySize huge', { ...good, keySize: 2 ** 40 }, RangeError, /spec\.keySize/],
  ['keySize Infinity', { ...good, keySize: Infinity }, TypeError, /spec\.keySize/],
  ['keySize a string', { ...good, keySize: '4' }, TypeError, /spec\.keySize/],
  ['keySize missing', { ...good, keySize: undefined }, TypeError, /spec\.keySize/],
  ['valueSize NaN', { ...good, valueSize: Number.NaN }, TypeError, /spec\.valueSize/],
  ['valueSize negative', { ...good, valueSize: -1 }, RangeError, /spec\.valueSize/],
  ['valueSize 0', { ...good, valueSize: 0 }, RangeError, /spec\.valueSize/],
  ['valueSize non-integer', { ...good, valueSize: 0.5 }, TypeError, /spec\.valueSize/],
  ['valueSize over 256 KiB', { ...good, valueSize: 256 * 1024 + 1 }, RangeError, /spec\.valueSize/],
  ['valueSize huge', { ...good, valueSize: Number.MAX_SAFE_INTEGER }, RangeError, /spec\.valueSize/],
  ['valueSize null', { ...good, valueSize: null }, TypeError, /spec\.valueSize/],
  ['maxEntries 0', { ...good, maxEntries: 0 }, RangeError, /spec\.maxEntries/],
  ['maxEntries negative', { ...good, maxEntries: -16 }, RangeError, /spec\.maxEntries/],
  ['maxEntries NaN', { ...good, maxEntries: Number.NaN }, TypeError, /spec\.maxEntries/],
  ['maxEntries non-integer', { ...good, maxEntries: 10.5 }, TypeError, /spec\.maxEntries/],
  ['maxEntries over 2^30', { ...good, maxEntries: 2 ** 31 }, RangeError, /spec\.maxEntries/],
  ['maxEntries a bigint', { ...good, maxEntries: 16n }, TypeError, /spec\.maxEntries/],
  // In range for the spec, but 2^30 buckets are 16 GiB: refused before allocating.
  ['maxEntries 2^30 (a 16 GiB bucket array)', { ...good, maxEntries: 2 ** 30 }, RangeError, /spec\.maxEntries/],
  ['maxEntries 2^30, noPrealloc', { ...good, maxEntries: 2 ** 30, flags: { noPrealloc: true } }, RangeError, /spec\.maxEntries/],
  ['array of 2^30 slots', { type: 'array', keySize: 4, valueSize: 4, maxEntries: 2 ** 30 }, RangeError, /spec\.maxEntries/],
  ['hash element pool over 4 GiB', { ...good, valueSize: 256 * 1024, maxEntries: 1 << 16 }, RangeError, /spec\.maxEntries/],
  ['nCpus 0', { ...good, type: 'percpu_hash', nCpus: 0 }, RangeError, /spec\.nCpus/],
  ['nCpus non-integer', { ...good, type: 'percpu_hash', nCpus: 1.5 }, TypeError, /spec\.nCpus/],
  ['nCpus over the limit', { ...good, type: 'percpu_hash', nCpus: 1e6 }, RangeError, /spec\.nCpus/],
  ['flags a string', { ...good, flags: 'noPrealloc' }, TypeError, /spec\.flags/],
  ['flags an array', { ...good, flags: ['noPrealloc'] }, TypeError, /spec\.flags/],
  ['flags null', { ...good, flags: null }, TypeError, /spec\.flags/],
  ['flags a number', { ...good, flags: 1 }, TypeError, /spec\.flags/],
  ['an unknown flag', { ...good, flags: { prealloc: false } }, TypeError, /spec\.flags\.prealloc/],
  ['a flag that is not a boolean', { ...good, flags: { noPrealloc: 1 } }, TypeError, /spec\.flags\.noPrealloc/],
  ['rdonly with wronly', { ...good, flags: { rdonly: true, wronly: true } }, RangeError, /spec\.flags/],
  ['noCommonLru on a hash', { ...good, flags: { noCommonLru: true } }, RangeError, /spec\.flags\.noCommonLru/],
  ['array with keySize 8', { type: 'array', keySize: 8, valueSize: 4, maxEntries: 4 }, RangeError, /spec\.keySize/],
];

describe('createMap refuses a bad spec with an error naming the field', () => {
  for (const [what, spec, cls, field] of cases) {
    it(what, () => {
      let thrown: unknown;
      try {
        createMap(spec);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(cls);
      expect((thrown as Error).message).toMatch(field);
    });
  }
});
