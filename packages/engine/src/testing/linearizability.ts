import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from '../errno.js';

/**
 * A per-key linearizability checker for map histories.
 *
 * Linearizability is compositional (Herlihy & Wing): a map history is
 * linearizable iff the sub-history of every key is. So a recorded run is
 * split by key and each key's history is checked alone against a one-key
 * model of the kernel's semantics: the key is absent or holds a value.
 *
 * The search is Wing & Gong's: pick, among the operations not yet placed, one
 * that no other unplaced operation precedes in real time (A precedes B when
 * A ended before B started), check that its result is what the model gives in
 * the current state, apply it, recurse; backtrack on a mismatch. Memoizing the
 * pairs (set of placed operations, model state) already explored (Lowe,
 * "Testing for linearizability", 2017) keeps it polynomial in practice for
 * the short histories a test records per key; a cap on explored states turns
 * a pathological history into 'gave-up' instead of a hang.
 *
 * Operations whose result says they changed nothing and depended on nothing
 * (-EBUSY, -EINVAL) fit anywhere, so they are dropped before the search.
 */
export type KeyOpKind = 'insert' | 'update' | 'delete' | 'lookup';

export interface KeyOp {
  op: KeyOpKind;
  /**
   * Update flags of an insert or update (BPF_ANY, BPF_NOEXIST, BPF_EXIST,
   * BPF_F_LOCK may be or-ed in). Default: BPF_NOEXIST for 'insert', BPF_ANY
   * for 'update'. Ignored by delete and lookup.
   */
  flags?: number;
  /**
   * insert/update: the value written. lookup: the value returned, null when it
   * found nothing. delete: the value removed when the caller saw it
   * (lookupAndDelete), otherwise leave it out. Values are compared as strings
   * (hex-encode bytes).
   */
  value?: string | null;
  /** The operation's result: 0 or a negative errno. */
  result: number;
  /** Clock readings around the call (process.hrtime.bigint(): one monotonic clock for every thread). */
  start: bigint;
  end: bigint;
}

export type Verdict = 'linearizable' | 'not-linearizable' | 'gave-up';

export interface CheckResult {
  verdict: Verdict;
  /** When linearizable: a witness order, as indexes into the history given. */
  order: number[] | null;
  /** Search states visited (placed-set, state pairs). */
  explored: number;
}

export interface CheckOptions {
  /** The key's value before the history: null (absent, the default) or a value. */
  initial?: string | null;
  /** The most search states to visit before giving up (default 200 000). */
  maxStates?: number;
}

/** Operations per history the search accepts (the placed set is a 30-bit mask). */
export const MAX_HISTORY_OPS = 30;
const DEFAULT_MAX_STATES = 200_000;
const ABSENT = -1;
/** Result of applying an operation whose result the model cannot produce. */
const MISMATCH = -2;

interface Prepared {
  kind: KeyOpKind;
  mode: number;
  /** Value index (into the interned values) written, returned or removed; ABSENT for none. */
  v: number;
  /** Whether a delete named the value it removed. */
  hasValue: boolean;
  result: number;
  index: number;
  start: bigint;
  end: bigint;
}

/**
 * Decides whether one key's history is linearizable under the kernel's
 * semantics: an update with NOEXIST fails with -EEXIST when the key is
 * present, with EXIST fails with -ENOENT when it is absent; -E2BIG (map full)
 * can only meet an insert of an absent key; delete is -ENOENT when absent;
 * lookup returns the value or nothing.
 */
export function checkKeyHistory(history: readonly KeyOp[], opts: CheckOptions = {}): CheckResult {
  if (!Array.isArray(history)) throw new TypeError('history must be an array of operations');
  const maxStates = opts.maxStates ?? DEFAULT_MAX_STATES;
  if (!Number.isInteger(maxStates) || maxStates < 1) throw new RangeError(`maxStates must be a positive integer, got ${String(maxStates)}`);
  const values: string[] = [];
  const intern = (v: string | null | undefined): number => {
    if (v === null || v === undefined) return ABSENT;
    if (typeof v !== 'string') throw new TypeError(`values must be strings (hex-encode bytes), got ${typeof v}`);
    let i = values.indexOf(v);
    if (i < 0) i = values.push(v) - 1;
    return i;
  };
  const ops: Prepared[] = [];
  history.forEach((h, index) => {
    validate(h, index);
    // No effect and no precondition: such an operation fits anywhere.
    if (h.result === -Errno.EBUSY || h.result === -Errno.EINVAL) return;
    const flags = h.flags ?? (h.op === 'insert' ? BPF_NOEXIST : BPF_ANY);
    ops.push({
      kind: h.op,
      mode: flags & ~BPF_F_LOCK,
      v: intern(h.value),
      hasValue: h.value !== undefined && h.value !== null,
      result: h.result,
      index,
      start: h.start,
      end: h.end,
    });
  });
  if (ops.length > MAX_HISTORY_OPS) {
    throw new RangeError(`a key's history may hold at most ${MAX_HISTORY_OPS} operations that matter, got ${ops.length}: record fewer per key`);
  }
  const n = ops.length;
  // before[i]: the operations that ended before operation i started, so must be placed before it.
  const before = ops.map((a) => ops.reduce((m, b, j) => (b.end < a.start ? m | (1 << j) : m), 0));
  const all = (1 << n) - 1;
  const stateCount = values.length + 1;
  const failed = new Set<number>();
  const order: number[] = [];
  let explored = 0;
  let gaveUp = false;

  const search = (placed: number, state: number): boolean => {
    if (placed === all) return true;
    const memo = placed * stateCount + (state + 1);
    if (failed.has(memo)) return false;
    if (++explored > maxStates) {
      gaveUp = true;
      return false;
    }
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if ((placed & bit) !== 0 || (before[i]! & ~placed) !== 0) continue;
      const next = apply(ops[i]!, state);
      if (next === MISMATCH) continue;
      order.push(ops[i]!.index);
      if (search(placed | bit, next)) return true;
      order.pop();
      if (gaveUp) return false;
    }
    failed.add(memo);
    return false;
  };

  const ok = search(0, intern(opts.initial));
  if (ok) return { verdict: 'linearizable', order: [...order], explored };
  return { verdict: gaveUp ? 'gave-up' : 'not-linearizable', order: null, explored };
}

/** The model: the state after `op` in `state`, or MISMATCH when `op`'s result is not what the kernel would return. */
function apply(op: Prepared, state: number): number {
  const present = state !== ABSENT;
  switch (op.kind) {
    case 'insert':
    case 'update':
      if (op.result === 0) {
        if (op.mode === BPF_NOEXIST && present) return MISMATCH;
        if (op.mode === BPF_EXIST && !present) return MISMATCH;
        return op.v;
      }
      if (op.result === -Errno.EEXIST) return op.mode === BPF_NOEXIST && present ? state : MISMATCH;
      if (op.result === -Errno.ENOENT) return op.mode === BPF_EXIST && !present ? state : MISMATCH;
      // A full map refuses only a new element: the key was absent (EXIST would have been -ENOENT).
      if (op.result === -Errno.E2BIG) return op.mode !== BPF_EXIST && !present ? state : MISMATCH;
      return MISMATCH;
    case 'delete':
      if (op.result === 0) {
        if (!present) return MISMATCH;
        if (op.hasValue && op.v !== state) return MISMATCH;
        return ABSENT;
      }
      if (op.result === -Errno.ENOENT) return present ? MISMATCH : state;
      return MISMATCH;
    case 'lookup':
      if (op.result === 0) return present && op.v === state ? state : MISMATCH;
      if (op.result === -Errno.ENOENT) return present ? MISMATCH : state;
      return MISMATCH;
  }
}

function validate(h: KeyOp, i: number): void {
  if (typeof h !== 'object' || h === null) throw new TypeError(`history[${i}] must be an operation object`);
  if (h.op !== 'insert' && h.op !== 'update' && h.op !== 'delete' && h.op !== 'lookup') {
    throw new TypeError(`history[${i}].op must be insert, update, delete or lookup, got ${String(h.op)}`);
  }
  if (!Number.isInteger(h.result) || h.result > 0) throw new TypeError(`history[${i}].result must be 0 or a negative errno, got ${String(h.result)}`);
  if (typeof h.start !== 'bigint' || typeof h.end !== 'bigint') throw new TypeError(`history[${i}].start and .end must be bigint clock readings`);
  if (h.end < h.start) throw new RangeError(`history[${i}] ends (${h.end}) before it starts (${h.start})`);
  if (h.flags !== undefined && (!Number.isInteger(h.flags) || h.flags < 0 || (h.flags & ~BPF_F_LOCK) > BPF_EXIST)) {
    throw new TypeError(`history[${i}].flags must be BPF_ANY, BPF_NOEXIST or BPF_EXIST (BPF_F_LOCK allowed), got ${String(h.flags)}`);
  }
  if ((h.op === 'insert' || h.op === 'update') && typeof h.value !== 'string') {
    throw new TypeError(`history[${i}]: an ${h.op} must name the value it wrote`);
  }
  if (h.op === 'lookup' && h.result === 0 && typeof h.value !== 'string') {
    throw new TypeError(`history[${i}]: a lookup that found the key must name the value it returned`);
  }
}
