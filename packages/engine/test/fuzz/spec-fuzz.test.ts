import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMap } from '../../src/maps/registry.js';
import type { BpfMap } from '../../src/maps/map.js';
import { MAP_TYPES } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { attempt, checkResult } from './outcome.js';

// Property-based fuzzing of createMap: specs whose every field may be missing,
// of the wrong type, out of range or unknown. Each spec either makes a map
// that works (an update and a lookup behave, the map verifies) or is refused
// with a TypeError/RangeError, before anything is allocated.

const anything = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -Infinity, -1, 0, 0.5, 2 ** 31, 2 ** 53, '', '4', true, [], {}),
  fc.integer({ min: -10, max: 70_000 }),
  fc.string({ maxLength: 6 }),
);
const small = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: anything });
const flags = fc.oneof(
  { weight: 3, arbitrary: fc.record({ noPrealloc: fc.boolean(), zeroSeed: fc.boolean(), rdonly: fc.boolean(), wronly: fc.boolean(), noCommonLru: fc.boolean() }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), anything, { maxKeys: 3 }) },
  { weight: 1, arbitrary: anything },
);
const resize = fc.oneof(
  fc.record(
    {
      initialBuckets: fc.oneof(fc.constantFrom(4, 8, 16, 3, 0, 2 ** 31), anything),
      growAt: fc.oneof(fc.double({ min: 0, max: 1.5, noNaN: true }), anything),
      shrinkAt: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), anything),
      autoResize: fc.oneof(fc.boolean(), anything),
      ebusyPolicy: fc.oneof(fc.constantFrom('fail', 'retry', 'help', 'panic'), anything),
      retries: small,
      driver: fc.oneof(fc.constantFrom('inline', 'help', 'sometimes'), anything),
      migrateBatch: small,
    },
    { requiredKeys: [] },
  ),
  anything,
);
const arrayResize = fc.oneof(fc.record({ subArraySize: fc.oneof(fc.constantFrom(1, 2, 8, 3, 1024), anything), initialEntries: small }, { requiredKeys: [] }), anything);
const innerSpec = fc.record({ type: fc.constantFrom('hash', 'array', 'array_of_maps', 'nope'), keySize: small, valueSize: small, maxEntries: small }, { requiredKeys: [] });

/** A spec that is valid for its type, then 0 to 2 of its fields replaced by anything (or an unknown field added). */
const validBase = fc.constantFrom(...MAP_TYPES).chain((type) => {
  const arrayish = ['array', 'percpu_array', 'array_of_maps', 'array_resize'].includes(type);
  return fc.record({
    type: fc.constant(type),
    keySize: arrayish ? fc.constant(4) : fc.integer({ min: 1, max: 64 }),
    valueSize: type === 'array_of_maps' ? fc.constant(4) : fc.integer({ min: 1, max: 300 }),
    maxEntries: fc.integer({ min: 2, max: 256 }),
    nCpus: fc.integer({ min: 2, max: 4 }),
    ...(type === 'array_of_maps' ? { inner: fc.constant({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 }) } : {}),
    ...(type === 'hash_resize' ? { resize: fc.constant({ driver: 'inline' }) } : {}),
  });
});
const corrupted = fc
  .tuple(validBase, fc.array(fc.tuple(fc.constantFrom('type', 'keySize', 'valueSize', 'maxEntries', 'nCpus', 'flags', 'memoryBudget', 'resize', 'arrayResize', 'inner', 'extra'), fc.oneof(anything, flags, resize, arrayResize, innerSpec)), { maxLength: 2 }))
  .map(([base, changes]) => {
    const s: Record<string, unknown> = { ...base };
    for (const [field, v] of changes) s[field] = v;
    return s;
  });
const hostile = fc.record(
  { type: fc.oneof(fc.constantFrom(...MAP_TYPES), anything), keySize: small, valueSize: small, maxEntries: small, flags, nCpus: small, resize, arrayResize, inner: fc.oneof(innerSpec, anything) },
  { requiredKeys: [] },
);

describe('fuzzing createMap with hostile specs', () => {
  it('every spec makes a working map that verifies, or is refused with a TypeError/RangeError', () => {
    let made = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: corrupted }, { weight: 3, arbitrary: hostile }, { weight: 1, arbitrary: anything }), (s) => {
        const o = attempt(() => createMap(s));
        if (o.kind === 'refused') {
          expect(o.error instanceof TypeError || o.error instanceof RangeError).toBe(true);
          return;
        }
        const m = o.value as BpfMap;
        made++;
        try {
          const key = new Uint8Array(m.spec.keySize);
          const value = new Uint8Array((m as unknown as { userValueSize: number }).userValueSize);
          const u = attempt(() => m.update(key, value));
          if (u.kind === 'result') checkResult('update', u.value);
          const l = attempt(() => m.lookup(key));
          if (l.kind === 'result') checkResult('lookup', l.value);
          expect(verify(m).problems).toEqual([]);
        } finally {
          m.destroy();
        }
      }),
      { numRuns: 400 },
    );
    // The property must have reached the working-map branch, not only refusals.
    expect(made).toBeGreaterThan(20);
  }, 120_000);
});
