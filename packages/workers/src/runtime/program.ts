import type { BpfMap } from '@rightsize/engine';

/**
 * What a program sees on its CPU: the BPF helpers, counted per CPU. Results
 * are the engine's, untouched: 0 or a negative errno.
 */
export interface ProgramContext<P = Record<string, unknown>> {
  /** This CPU's id (`bpf_get_smp_processor_id()`). */
  readonly cpu: number;
  /** CPUs of the machine. */
  readonly nCpus: number;
  /** The run's params (a structured clone, one per CPU). */
  readonly params: P;
  /** The run's maps, attached in this thread, by name. */
  readonly maps: Readonly<Record<string, BpfMap>>;
  /** `map.lookupInto`: 0 and the value in `out`, or -ENOENT. */
  lookup(map: BpfMap, key: Uint8Array, out: Uint8Array): number;
  /** `map.lookupU32Into`: the key is a u32 (4-byte little-endian key). */
  lookupU32(map: BpfMap, key: number, out: Uint8Array): number;
  update(map: BpfMap, key: Uint8Array, value: Uint8Array, flags: number): number;
  updateU32(map: BpfMap, key: number, value: Uint8Array, flags: number): number;
  delete(map: BpfMap, key: Uint8Array): number;
  deleteU32(map: BpfMap, key: number): number;
  /** `map.lookupAndDeleteInto`: 0 and the value in `out`, or -errno. */
  lookupAndDelete(map: BpfMap, key: Uint8Array, out: Uint8Array): number;
  /** `__sync_fetch_and_add` on the u32 at `byteOffset` of the key's value: 0, -ENOENT, -EINVAL. */
  atomicAdd(map: BpfMap, key: Uint8Array, byteOffset: number, delta: number): number;
  /** The talk's `bpf_grow()`: 0 / -EBUSY / -E2BIG / -EINVAL. */
  grow(map: BpfMap): number;
  /** The talk's `bpf_shrink()`. */
  shrink(map: BpfMap): number;
  /**
   * The talk's `bpf_grow()` as a hint to hash_resize's adaptive controller:
   * `entries` are expected soon, make room in one resize (0 clears it). 0, or
   * -EINVAL for a map that is not hash_resize.
   */
  resizeHint(map: BpfMap, entries: number): number;
  /** `bpf_get_smp_processor_id()`. */
  smpProcessorId(): number;
  /** `bpf_ktime_get_ns()`: ns since the run's epoch, one clock for every CPU and the agent. */
  ktimeGetNs(): number;
  /** Ends the run on every CPU after its current event. */
  stop(): void;
}

/** A program as written: setup once per CPU, run once per event, teardown once per CPU. */
export interface ProgramSpec<S = undefined, P = Record<string, unknown>> {
  /**
   * Runs once per CPU before the start barrier (attach, prepare keys and
   * buffers, read params). Its result is the state passed to every event.
   */
  setup?(ctx: ProgramContext<P>): S | Promise<S>;
  /** Runs once per event; `i` counts this CPU's events from 0. Must not allocate. */
  run(ctx: ProgramContext<P>, state: S, i: number): void;
  /**
   * Runs once per CPU after its last event (also when the run was stopped by
   * another CPU's error). A structured-cloneable result comes back in the
   * CPU's result as `teardown`.
   */
  teardown?(ctx: ProgramContext<P>, state: S): unknown;
}

export const PROGRAM_KIND = 'rightsize-program';

export interface Program<S = undefined, P = Record<string, unknown>> extends ProgramSpec<S, P> {
  readonly kind: typeof PROGRAM_KIND;
}

/**
 * Marks a module's default export as a program. The brand is a string (not a
 * symbol) so that a program compiled against another copy of this package is
 * still recognised.
 */
export function defineProgram<S = undefined, P = Record<string, unknown>>(spec: ProgramSpec<S, P>): Program<S, P> {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('defineProgram takes an object with run (and optional setup, teardown)');
  if (typeof spec.run !== 'function') throw new TypeError('program.run must be a function (ctx, state, i) => void');
  if (spec.setup !== undefined && typeof spec.setup !== 'function') throw new TypeError('program.setup must be a function when given');
  if (spec.teardown !== undefined && typeof spec.teardown !== 'function') throw new TypeError('program.teardown must be a function when given');
  return Object.freeze({ ...spec, kind: PROGRAM_KIND });
}

/** Whether a module's default export is a program made by defineProgram. */
export function isProgram(v: unknown): v is Program<unknown, unknown> {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === PROGRAM_KIND && typeof (v as { run?: unknown }).run === 'function';
}
