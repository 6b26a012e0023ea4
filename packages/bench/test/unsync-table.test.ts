import fc from 'fast-check';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno } from '@rightsize/engine';
import { describe, expect, it } from 'vitest';
import { UnsyncTable } from '../src/references/unsync-table.js';

type Op = { kind: 'update'; key: number; value: number; flags: number } | { kind: 'delete'; key: number } | { kind: 'lookup'; key: number };

/** The same BPF hash semantics on the built-in Map: the model the table must follow. */
function modelApply(model: Map<number, number>, max: number, op: Op): number | [number, number | undefined] {
  if (op.kind === 'lookup') return model.has(op.key) ? [0, model.get(op.key)] : [-Errno.ENOENT, undefined];
  if (op.kind === 'delete') return model.delete(op.key) ? 0 : -Errno.ENOENT;
  const has = model.has(op.key);
  if (op.flags === BPF_NOEXIST && has) return -Errno.EEXIST;
  if (op.flags === BPF_EXIST && !has) return -Errno.ENOENT;
  if (!has && model.size >= max) return -Errno.E2BIG;
  model.set(op.key, op.value);
  return 0;
}

function tableApply(t: UnsyncTable, op: Op): number | [number, number | undefined] {
  if (op.kind === 'lookup') {
    const out = new Int32Array(t.valueWords);
    const r = t.lookupInto(op.key, out);
    return [r, r === 0 ? out[0]! >>> 0 : undefined];
  }
  if (op.kind === 'delete') return t.delete(op.key);
  return t.update(op.key, Int32Array.of(op.value | 0), op.flags);
}

describe('the unsynchronised reference table is a real hash table', () => {
  it('behaves as a Map under any sequence of updates, deletes and lookups (property)', () => {
    // A small key space and bound: collisions, probe runs that wrap, full tables and backward-shift deletes all happen.
    const key = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0xffffffff, 0x80000000, 0x7fffffff));
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('update' as const), key, value: fc.integer({ min: 0, max: 0xffffffff }), flags: fc.constantFrom(BPF_ANY, BPF_NOEXIST, BPF_EXIST) }),
      fc.record({ kind: fc.constant('delete' as const), key }),
      fc.record({ kind: fc.constant('lookup' as const), key }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const t = new UnsyncTable(max, 4);
        const model = new Map<number, number>();
        for (const o of ops) {
          expect(tableApply(t, o)).toEqual(modelApply(model, max, o));
          expect(t.size).toBe(model.size);
        }
        for (const [k, v] of model) expect(tableApply(t, { kind: 'lookup', key: k })).toEqual([0, v]);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps values of several words whole', () => {
    const t = new UnsyncTable(8, 50);
    expect(t.valueWords).toBe(13);
    const v = Int32Array.from({ length: 13 }, (_, i) => i * 1000 + 7);
    expect(t.update(3, v)).toBe(0);
    const out = new Int32Array(13);
    expect(t.lookupInto(3, out)).toBe(0);
    expect(out).toEqual(v);
  });

  it('refuses unknown flags with -EINVAL and bad sizes with a RangeError', () => {
    const t = new UnsyncTable(4, 4);
    expect(t.update(1, Int32Array.of(1), 8)).toBe(-Errno.EINVAL);
    expect(() => new UnsyncTable(0, 4)).toThrow(RangeError);
    expect(() => new UnsyncTable(4, 0)).toThrow(RangeError);
  });
});
