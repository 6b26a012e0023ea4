import fc from 'fast-check';
import { expect } from 'vitest';
import type { BpfMap } from '../../src/maps/map.js';
import { hex } from '../support/bytes.js';
import type { KernelModel } from './kernel-model.js';

/** One userspace operation; `k` indexes the run's key pool. */
export type Op =
  | { t: 'update'; k: number; v: Uint8Array; f: number }
  | { t: 'delete'; k: number }
  | { t: 'lookup'; k: number }
  | { t: 'lookupAndDelete'; k: number };

/** Valid flags (with BPF_F_LOCK), and invalid ones, which must be -EINVAL and change nothing. */
export const FLAGS = [0, 1, 2, 4, 5, 6, 3, 7, 8, 16, -1] as const;

/** Operations over a pool of `poolSize` keys; updates dominate so the map fills up. */
export function opsArb(poolSize: number, valueSize: number): fc.Arbitrary<Op[]> {
  const k = fc.nat({ max: poolSize - 1 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant('update' as const), k, v: fc.uint8Array({ minLength: valueSize, maxLength: valueSize }), f: fc.constantFrom(...FLAGS) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), k }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('lookup' as const), k }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('lookupAndDelete' as const), k }) },
  );
  // size 'max': fast-check's default size keeps arrays short (about 10 ops), too short to fill the map.
  return fc.array(op, { minLength: 1, maxLength: 80, size: 'max' });
}

/**
 * Applies `ops` to the map and the model side by side. After every step the
 * result codes, returned values and entry counts agree; at the end the key
 * sets (the map's via keys()) and every value agree.
 */
export function runAgainstModel(map: BpfMap, model: KernelModel, pool: Uint8Array[], ops: Op[]): void {
  ops.forEach((op, step) => {
    const key = pool[op.k]!;
    const where = `step ${step}: ${op.t} key ${hex(key)}${op.t === 'update' ? ` flags ${op.f}` : ''}`;
    switch (op.t) {
      case 'update':
        expect(map.update(key, op.v, op.f), where).toBe(model.update(key, op.v, op.f));
        break;
      case 'delete':
        expect(map.delete(key), where).toBe(model.delete(key));
        break;
      case 'lookup':
        expect(map.lookup(key), where).toEqual(model.lookup(key));
        break;
      case 'lookupAndDelete':
        expect(map.lookupAndDelete(key), where).toEqual(model.lookupAndDelete(key));
        break;
    }
    expect(map.stats().entries, where).toBe(model.size());
  });
  const keys = [...map.keys()];
  expect(keys.length, 'keys() yields each key once').toBe(new Set(keys.map(hex)).size);
  expect(new Set(keys.map(hex))).toEqual(model.keys());
  for (const k of keys) expect(map.lookup(k)).toEqual(model.lookup(k));
}
