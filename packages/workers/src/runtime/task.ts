import type { MapHandle } from '@rightsize/engine';
import type { Phase } from './run-buffer.js';

/** One CPU's task in a run: everything a piscina worker needs, structured-cloneable. */
export interface CpuTask {
  cpu: number;
  nCpus: number;
  /** file: URL of the program module. */
  program: string;
  maps: Record<string, MapHandle>;
  params: unknown;
  /** The run buffer (control words and every CPU's stats region). */
  run: SharedArrayBuffer;
  /** Quiescence domains the CPU passes quiescent points in: the machine's first, then any other domain a map belongs to. */
  domains: SharedArrayBuffer[];
  /** Events per CPU (Number.MAX_SAFE_INTEGER when the run is bounded by time only). */
  iterations: number;
  /** Run length in ms after the barrier, or 0 for none. */
  durationMs: number;
  warmupIterations: number;
  latencySampleEvery: number;
  /** How long a CPU waits at the start barrier for the others. */
  setupTimeoutMs: number;
}

/** An error raised by the program (or its module) on a CPU. */
export interface CpuTaskError {
  phase: Phase;
  /** The event index (warm-up or run) the error happened in; -1 outside events. */
  iteration: number;
  message: string;
  stack?: string;
}

/** What a CPU task returns (the counters are in the run buffer, not here). */
export interface CpuTaskResult {
  cpu: number;
  barrier: 'open' | 'aborted' | 'timeout' | 'not-reached';
  /** When this CPU timed out at the barrier: the CPUs that had not arrived, and where they were. */
  late?: { cpu: number; phase: Phase }[];
  error?: CpuTaskError;
  teardown?: unknown;
}
