import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enterCpu, exitCpu } from '../../src/context.js';
import type { MapBase } from '../../src/maps/base.js';
import type { BpfMap } from '../../src/maps/map.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { useMaps } from '../support/maps.js';
import { attempt, checkResult } from './outcome.js';

// Property-based fuzzing of every operation of every map type with hostile
// arguments: keys and values of any type and size, any flags, cursors,
// counts, offsets, deltas, batch options, and calls made as a program on CPU
// ids that may be bad. Each call must either work as documented (0, a kernel
// errno, a value or nothing) or throw a clear TypeError/RangeError; and after
// every case the map must pass the consistency checker.

const SPECS: MapSpec[] = [
  { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 },
  { type: 'hash', keySize: 6, valueSize: 12, maxEntries: 16, flags: { noPrealloc: true } },
  { type: 'percpu_hash', keySize: 4, valueSize: 5, maxEntries: 16, nCpus: 3 },
  { type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 16 },
  { type: 'lru_percpu_hash', keySize: 4, valueSize: 4, maxEntries: 16, nCpus: 2, flags: { noCommonLru: true } },
  { type: 'array', keySize: 4, valueSize: 8, maxEntries: 16 },
  { type: 'percpu_array', keySize: 4, valueSize: 6, maxEntries: 16, nCpus: 2 },
  { type: 'array_resize', keySize: 4, valueSize: 8, maxEntries: 40, arrayResize: { subArraySize: 8, initialEntries: 8 } },
  { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 64, resize: { driver: 'inline', initialBuckets: 4 } },
  { type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 64, resize: { driver: 'help', ebusyPolicy: 'fail', migrateBatch: 1 } },
  { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4 } },
];

const weird = fc.constantFrom<unknown>(null, undefined, NaN, Infinity, -1, 1.5, 2 ** 32, 2 ** 53, '1', 'key', {}, [], [1, 2, 3], true, new Uint16Array(2), new ArrayBuffer(4));

function bytes(size: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: size, maxLength: size });
}

/** A key: mostly the right size and in a small range (so keys meet), sometimes anything. */
function keyArb(size: number): fc.Arbitrary<unknown> {
  const near = fc.integer({ min: 0, max: 40 }).map((n) => {
    const k = new Uint8Array(size);
    k[0] = n;
    return k;
  });
  return fc.oneof({ weight: 6, arbitrary: near }, { weight: 1, arbitrary: bytes(size) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) }, { weight: 1, arbitrary: weird });
}

const u32Arb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 2 ** 32 + 5 }) }, { weight: 1, arbitrary: weird });
const intish = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -4, max: 64 }) }, { weight: 1, arbitrary: fc.integer() }, { weight: 1, arbitrary: weird });
const flagsArb = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 7 }) }, { weight: 1, arbitrary: intish });
const optsArb = fc.oneof(fc.constant(undefined), fc.record({ elemFlags: flagsArb, flags: flagsArb }, { requiredKeys: [] }), weird);
/** A CPU for the call: userspace (null) most of the time, else any id, good or bad. */
const cpuArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: -3, max: 200 }) },
  { weight: 1, arbitrary: weird },
);

type Command = { cpu: unknown; op: string; args: unknown[] };

function commandArb(m: BpfMap): fc.Arbitrary<Command> {
  const ks = m.spec.keySize;
  const vs = (m as MapBase).userValueSize;
  const value = fc.oneof(
    { weight: 2, arbitrary: bytes(vs) },
    { weight: 2, arbitrary: bytes(m.spec.valueSize) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: weird },
  );
  const out = fc.oneof({ weight: 3, arbitrary: fc.nat(vs + 8).map((n) => new Uint8Array(n)) }, { weight: 1, arbitrary: weird });
  const key = keyArb(ks);
  const nextBuf = fc.oneof({ weight: 4, arbitrary: fc.constant(ks).map((n) => new Uint8Array(n)) }, { weight: 1, arbitrary: weird });
  const keyList = fc.oneof({ weight: 3, arbitrary: fc.array(key, { maxLength: 5 }) }, { weight: 1, arbitrary: weird });
  const valueList = fc.oneof({ weight: 3, arbitrary: fc.array(value, { maxLength: 5 }) }, { weight: 1, arbitrary: weird });
  const c = (op: string, args: fc.Arbitrary<unknown[]>) => fc.record({ cpu: cpuArb, op: fc.constant(op), args });
  return fc.oneof(
    c('lookup', fc.tuple(key)),
    c('lookupInto', fc.tuple(key, out)),
    c('lookupU32Into', fc.tuple(u32Arb, out)),
    { weight: 4, arbitrary: c('update', fc.tuple(key, value, flagsArb)) },
    { weight: 3, arbitrary: c('updateU32', fc.tuple(u32Arb, value, flagsArb)) },
    c('delete', fc.tuple(key)),
    c('deleteU32', fc.tuple(u32Arb)),
    c('lookupAndDelete', fc.tuple(key)),
    c('lookupAndDeleteInto', fc.tuple(key, out)),
    c('atomicAdd', fc.tuple(key, intish, intish)),
    c('getNextKey', fc.tuple(fc.oneof(key, fc.constant(null)), nextBuf)),
    c('lookupBatch', fc.tuple(fc.oneof(fc.constant(null), intish), intish, optsArb)),
    c('lookupAndDeleteBatch', fc.tuple(fc.oneof(fc.constant(null), intish), intish, optsArb)),
    c('updateBatch', fc.tuple(keyList, valueList, optsArb)),
    c('deleteBatch', fc.tuple(keyList, optsArb)),
    c('grow', fc.constant([])),
    c('shrink', fc.constant([])),
    c('stats', fc.constant([])),
    c('keys', fc.constant([])),
  );
}

function run(m: BpfMap, cmd: Command): void {
  const target = m as unknown as Record<string, (...a: unknown[]) => unknown>;
  const call = () => {
    const r = target[cmd.op]!.apply(m, cmd.args);
    // keys() is a generator: walking it is the call.
    return cmd.op === 'keys' ? [...(r as Iterable<Uint8Array>)] : r;
  };
  if (cmd.cpu === null) {
    const o = attempt(call);
    if (o.kind === 'result') checkResult(cmd.op, o.value);
    return;
  }
  const entered = attempt(() => enterCpu(cmd.cpu as number));
  if (entered.kind === 'refused') return;
  try {
    const o = attempt(call);
    if (o.kind === 'result') checkResult(cmd.op, o.value);
  } finally {
    exitCpu();
  }
}

describe('fuzzing every operation with hostile arguments', () => {
  const make = useMaps();

  for (const spec of SPECS) {
    const label = `${spec.type}${spec.flags?.noPrealloc ? ' (noPrealloc)' : ''}${spec.resize ? ` (${spec.resize.driver})` : ''}`;
    it(`${label}: every call works as documented or throws a clear error, and the map always verifies`, () => {
      const probe = make(spec);
      fc.assert(
        fc.property(fc.array(commandArb(probe), { minLength: 1, maxLength: 40 }), (cmds) => {
          const m = make(spec);
          for (const cmd of cmds) run(m, cmd);
          const r = verify(m);
          expect(r.problems).toEqual([]);
          m.destroy();
        }),
        { numRuns: 200 },
      );
    }, 120_000);
  }
});
