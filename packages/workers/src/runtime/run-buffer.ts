import { HELPERS, RESULT_NAMES } from './helpers.js';
import { LATENCY_BUCKETS } from './histogram.js';

/**
 * The shared memory of one run: a control area that every CPU reads, then one
 * stats region per CPU that only that CPU writes.
 *
 * Control words (Int32), each on its own 64-byte line so that a CPU bumping the
 * barrier count does not invalidate the line the others poll for STOP:
 *   ARRIVED  CPUs that reached the start barrier
 *   GATE     0 closed, 1 open (every CPU arrived), 2 aborted (a CPU failed or
 *            the machine gave up): one word, so a waiter's Atomics.wait on 0
 *            cannot miss either outcome
 *   STOP     set once: every CPU ends after its current event
 *   ERROR    CPU id + 1 of the first error (claimed with compareExchange, so
 *            the first failure is the one reported), 0 while none
 *   EPOCH    BigInt64: process.hrtime.bigint() at the start of the run; every
 *            timestamp of the run is ns since this (the ktime epoch)
 *
 * A CPU's stats region (Float64, plain writes by its owner only; the main
 * thread reads it after the CPU's task settled) starts on a 64-byte boundary
 * and is a whole number of lines long, so no two CPUs ever write one line.
 */
export const LINE = 64;
const LINE_I32 = LINE / 4;

export const C_ARRIVED = 0;
export const C_GATE = LINE_I32;
export const C_STOP = 2 * LINE_I32;
export const C_ERROR = 3 * LINE_I32;
const EPOCH_BYTE = 4 * LINE;
const CONTROL_BYTES = 5 * LINE;

export const GATE_CLOSED = 0;
export const GATE_OPEN = 1;
export const GATE_ABORTED = 2;

/** What a CPU is doing (W_PHASE), for reports about a CPU that died or hung. */
export const PHASES = ['idle', 'load', 'setup', 'warmup', 'barrier', 'run', 'teardown', 'done'] as const;
export type Phase = (typeof PHASES)[number];
export const P_IDLE = 0;
export const P_LOAD = 1;
export const P_SETUP = 2;
export const P_WARMUP = 3;
export const P_BARRIER = 4;
export const P_RUN = 5;
export const P_TEARDOWN = 6;
export const P_DONE = 7;

// Per-CPU region, Float64 words.
export const W_EVENTS = 0; // events completed (in the current phase: warm-up, then the run)
export const W_SETUP_DONE = 1; // ns (ktime) when setup and warm-up were done
export const W_START = 2; // ns when the CPU left the barrier
export const W_END = 3; // ns when its last event ended
export const W_PHASE = 4;
export const W_THREAD = 5; // worker threadId, to find a hung worker
export const W_TIMER = 6; // timer overhead subtracted from latency samples, ns
export const W_SAMPLED = 7; // latency samples taken
const HEADER_WORDS = 8;

export const N_HELPERS = HELPERS.length;
export const N_RESULTS = RESULT_NAMES.length;
export const COUNTS_AT = HEADER_WORDS;
export const HIST_AT = COUNTS_AT + N_HELPERS * N_RESULTS;
const REGION_WORDS = HIST_AT + N_HELPERS * LATENCY_BUCKETS;
export const REGION_BYTES = Math.ceil((REGION_WORDS * 8) / LINE) * LINE;

export function runBufferBytes(nCpus: number): number {
  return CONTROL_BYTES + nCpus * REGION_BYTES;
}

/** A new run buffer for `nCpus` CPUs, its epoch set to now. */
export function createRunBuffer(nCpus: number): { sab: SharedArrayBuffer; epoch: bigint } {
  const sab = new SharedArrayBuffer(runBufferBytes(nCpus));
  const epoch = process.hrtime.bigint();
  Atomics.store(new BigInt64Array(sab, EPOCH_BYTE, 1), 0, epoch);
  return { sab, epoch };
}

/** The control words of a run buffer. */
export function controlWords(sab: SharedArrayBuffer): Int32Array {
  return new Int32Array(sab, 0, CONTROL_BYTES / 4);
}

export function epochOf(sab: SharedArrayBuffer): bigint {
  return Atomics.load(new BigInt64Array(sab, EPOCH_BYTE, 1), 0);
}

/** CPU `cpu`'s stats region. */
export function cpuRegion(sab: SharedArrayBuffer, cpu: number): Float64Array {
  return new Float64Array(sab, CONTROL_BYTES + cpu * REGION_BYTES, REGION_BYTES / 8);
}

/** Sets STOP, and aborts the barrier if it has not opened yet; wakes the CPUs waiting at it. */
export function stopRun(ctl: Int32Array): void {
  Atomics.store(ctl, C_STOP, 1);
  if (Atomics.compareExchange(ctl, C_GATE, GATE_CLOSED, GATE_ABORTED) === GATE_CLOSED) Atomics.notify(ctl, C_GATE);
}

/** Claims the run's error for `cpu`; true when this is the first error of the run. */
export function claimError(ctl: Int32Array, cpu: number): boolean {
  return Atomics.compareExchange(ctl, C_ERROR, 0, cpu + 1) === 0;
}

/** The CPU whose error was claimed first, or -1. */
export function errorCpu(ctl: Int32Array): number {
  return Atomics.load(ctl, C_ERROR) - 1;
}
