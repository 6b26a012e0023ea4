import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { MAX_HISTORY_OPS, checkKeyHistory, type KeyOp } from '@rightsize/engine/testing';

// The per-key checker on hand-made histories: what it must reject, what it
// must accept although operations overlap, and the model's kernel semantics.
// Times are plain integers here (start, end): A precedes B when A.end < B.start.

const t = (start: number, end: number) => ({ start: BigInt(start), end: BigInt(end) });
const insert = (value: string, result: number, s: number, e: number, flags = BPF_NOEXIST): KeyOp => ({ op: 'insert', flags, value, result, ...t(s, e) });
const update = (value: string, result: number, s: number, e: number, flags = BPF_ANY): KeyOp => ({ op: 'update', flags, value, result, ...t(s, e) });
const del = (result: number, s: number, e: number, value?: string): KeyOp => ({ op: 'delete', result, ...(value === undefined ? {} : { value }), ...t(s, e) });
const lookup = (value: string | null, s: number, e: number): KeyOp => ({ op: 'lookup', value, result: value === null ? -Errno.ENOENT : 0, ...t(s, e) });

/** Whether `order` is a valid witness: a permutation of the relevant operations that respects real time. */
function respectsRealTime(h: KeyOp[], order: number[]): boolean {
  const pos = new Map(order.map((i, p) => [i, p]));
  for (const [i, pi] of pos) for (const [j, pj] of pos) if (h[i]!.end < h[j]!.start && pi > pj) return false;
  return true;
}

describe('per-key linearizability checker', () => {
  it('rejects a lookup that returns a value written by an update that started after the lookup ended', () => {
    const h = [insert('A', 0, 0, 10), lookup('B', 20, 30), update('B', 0, 40, 50)];
    expect(checkKeyHistory(h).verdict).toBe('not-linearizable');
  });

  it('rejects a new-old inversion: a later lookup sees the old value after an earlier one saw the new', () => {
    // The update overlaps both lookups, but the lookups do not overlap each other.
    const h = [insert('A', 0, 0, 10), update('B', 0, 20, 100), lookup('B', 30, 40), lookup('A', 50, 60)];
    expect(checkKeyHistory(h).verdict).toBe('not-linearizable');
  });

  it('accepts concurrent operations that some order explains, and gives that order', () => {
    // Both lookups overlap the update: A is read before it takes effect, B after.
    const h = [insert('A', 0, 0, 10), update('B', 0, 20, 100), lookup('B', 30, 40), lookup('A', 25, 60), lookup('B', 110, 120)];
    const r = checkKeyHistory(h);
    expect(r.verdict).toBe('linearizable');
    expect([...r.order!].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(respectsRealTime(h, r.order!)).toBe(true);
    expect(r.order!.indexOf(3)).toBeLessThan(r.order!.indexOf(1));
    expect(r.order!.indexOf(1)).toBeLessThan(r.order!.indexOf(2));
  });

  it('a NOEXIST insert racing a delete must come after it: a later lookup has to see the insert', () => {
    const base = [insert('A', 0, 0, 10), del(0, 20, 40), insert('B', 0, 25, 35)];
    expect(checkKeyHistory([...base, lookup('B', 50, 60)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([...base, lookup(null, 50, 60)]).verdict).toBe('not-linearizable');
  });

  it('follows the kernel results of NOEXIST, EXIST, delete and E2BIG', () => {
    expect(checkKeyHistory([insert('A', 0, 0, 1), insert('B', -Errno.EEXIST, 2, 3), lookup('A', 4, 5)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([insert('B', -Errno.EEXIST, 0, 1)]).verdict).toBe('not-linearizable');
    expect(checkKeyHistory([update('A', -Errno.ENOENT, 0, 1, BPF_EXIST), lookup(null, 2, 3)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([insert('A', 0, 0, 1), update('B', -Errno.ENOENT, 2, 3, BPF_EXIST)]).verdict).toBe('not-linearizable');
    expect(checkKeyHistory([del(-Errno.ENOENT, 0, 1)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([insert('A', 0, 0, 1), del(-Errno.ENOENT, 2, 3)]).verdict).toBe('not-linearizable');
    expect(checkKeyHistory([insert('A', 0, 0, 1), del(0, 2, 3, 'A'), lookup(null, 4, 5)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([insert('A', 0, 0, 1), del(0, 2, 3, 'B')]).verdict).toBe('not-linearizable');
    // A full map refuses a new key only: an insert of a present key would replace it.
    expect(checkKeyHistory([update('A', -Errno.E2BIG, 0, 1)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([insert('A', 0, 0, 1), update('B', -Errno.E2BIG, 2, 3)]).verdict).toBe('not-linearizable');
  });

  it('an initial value other than absent is honoured', () => {
    expect(checkKeyHistory([lookup('Z', 0, 1)], { initial: 'Z' }).verdict).toBe('linearizable');
    expect(checkKeyHistory([lookup('Z', 0, 1)]).verdict).toBe('not-linearizable');
  });

  it('EBUSY and EINVAL results changed nothing: they explain no value', () => {
    expect(checkKeyHistory([insert('A', 0, 0, 1), update('B', -Errno.EBUSY, 2, 3), lookup('A', 4, 5)]).verdict).toBe('linearizable');
    expect(checkKeyHistory([insert('A', 0, 0, 1), update('B', -Errno.EBUSY, 2, 3), lookup('B', 4, 5)]).verdict).toBe('not-linearizable');
    expect(checkKeyHistory([del(-Errno.EBUSY, 0, 1), update('B', -Errno.EINVAL, 2, 3), lookup(null, 4, 5)]).verdict).toBe('linearizable');
  });

  it('gives up, rather than searching forever, past its state cap', () => {
    // Twelve overlapping writes of distinct values and a lookup of a value nobody wrote:
    // not linearizable, but proving it needs far more than 50 states.
    const h: KeyOp[] = Array.from({ length: 12 }, (_, i) => update(`v${i}`, 0, 0, 100));
    h.push(lookup('nobody', 0, 100));
    expect(checkKeyHistory(h, { maxStates: 50 }).verdict).toBe('gave-up');
    const full = checkKeyHistory(h);
    expect(full.verdict).toBe('not-linearizable');
    expect(full.explored).toBeGreaterThan(50);
  });

  it('refuses malformed histories with a clear error', () => {
    expect(() => checkKeyHistory([{ op: 'upsert' as 'update', value: 'A', result: 0, ...t(0, 1) }])).toThrow(TypeError);
    expect(() => checkKeyHistory([update('A', 0, 5, 1)])).toThrow(RangeError);
    expect(() => checkKeyHistory([{ op: 'update', value: 'A', result: 1, ...t(0, 1) }])).toThrow(TypeError);
    expect(() => checkKeyHistory([{ op: 'update', result: 0, ...t(0, 1) }])).toThrow(TypeError);
    expect(() => checkKeyHistory([lookup('A', 0, 1)].map((o) => ({ ...o, start: 0 as unknown as bigint })))).toThrow(TypeError);
    expect(() => checkKeyHistory(Array.from({ length: MAX_HISTORY_OPS + 1 }, (_, i) => update(`v${i}`, 0, i * 2, i * 2 + 1)))).toThrow(RangeError);
  });
});
