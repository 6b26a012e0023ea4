import { describeValue as describe, requireInt, type BpfMap, type MapHandle } from '@rightsize/engine';
import { handleOf } from '../util/handle.js';

/** The agent's part in a run: sampling and/or a periodic sweep for the run's duration. */
export interface AgentRunOptions {
  /** Sample `stats()` of these maps (names in `maps`) every `everyMs`, at most `count` samples. */
  sample?: { maps: string[]; everyMs: number; count?: number };
  /** Run a sweep module on a map every `everyMs` (a userspace GC). */
  sweep?: { map: string; everyMs: number; module: string | URL; params?: unknown };
}

export interface RunOptions {
  /** Maps by name, attached in every CPU (BpfMap objects or their handles). */
  maps?: Record<string, BpfMap | MapHandle>;
  /** Structured-cloneable parameters, `ctx.params` in the program. */
  params?: unknown;
  /** Events per CPU. At least one of iterations and durationMs is required; with both, whichever comes first. */
  iterations?: number;
  /** Run for this long (ms after the barrier). */
  durationMs?: number;
  /** Events per CPU before the barrier, not counted. Default 0. */
  warmupIterations?: number;
  /** Time one helper call in this many. Default 64; 0 = off. */
  latencySampleEvery?: number;
  agent?: AgentRunOptions;
  /** How long a CPU waits at the start barrier for the others' setup and warm-up. Default 60 000. */
  setupTimeoutMs?: number;
  /** The whole run's bound: then it is stopped, and CPUs still busy after stopGraceMs are killed. Default durationMs + 600 000. */
  timeoutMs?: number;
  /** After a stop (an error, a death, machine.stop(), the timeout), how long a CPU has to finish its current event before its worker is killed. Default 5 000. */
  stopGraceMs?: number;
}

export interface ValidRunOptions {
  maps: Record<string, MapHandle>;
  params: unknown;
  iterations: number;
  durationMs: number;
  warmupIterations: number;
  latencySampleEvery: number;
  agent: AgentRunOptions | undefined;
  setupTimeoutMs: number;
  timeoutMs: number;
  stopGraceMs: number;
}

export function requireMs(field: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${field} must be a number of ms, got ${describe(v)}`);
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${field} must be a positive finite number of ms, got ${v}`);
  return v;
}

/** Checks a run's options; a bad one throws a TypeError/RangeError naming the field, before anything starts. */
export function validateRunOptions(o: unknown): ValidRunOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError(`run options must be an object, got ${describe(o)}`);
  const opts = o as RunOptions;
  const maps: Record<string, MapHandle> = {};
  if (opts.maps !== undefined) {
    if (typeof opts.maps !== 'object' || opts.maps === null) throw new TypeError(`maps must be an object of maps by name, got ${describe(opts.maps)}`);
    for (const [name, m] of Object.entries(opts.maps)) maps[name] = handleOf(`maps.${name}`, m);
  }
  if (opts.iterations === undefined && opts.durationMs === undefined) {
    throw new TypeError('run options need iterations (events per CPU) or durationMs (or both)');
  }
  const iterations = opts.iterations === undefined ? Number.MAX_SAFE_INTEGER : requireInt('iterations', opts.iterations, 1);
  const durationMs = opts.durationMs === undefined ? 0 : requireMs('durationMs', opts.durationMs);
  const warmupIterations = opts.warmupIterations === undefined ? 0 : requireInt('warmupIterations', opts.warmupIterations, 0);
  const latencySampleEvery = opts.latencySampleEvery === undefined ? 64 : requireInt('latencySampleEvery', opts.latencySampleEvery, 0, 2 ** 30);
  const setupTimeoutMs = opts.setupTimeoutMs === undefined ? 60_000 : requireMs('setupTimeoutMs', opts.setupTimeoutMs);
  const timeoutMs = opts.timeoutMs === undefined ? durationMs + 600_000 : requireMs('timeoutMs', opts.timeoutMs);
  const stopGraceMs = opts.stopGraceMs === undefined ? 5_000 : requireMs('stopGraceMs', opts.stopGraceMs);
  try {
    structuredClone(opts.params);
  } catch (err) {
    throw new TypeError(`params must be structured-cloneable (plain data, typed arrays, SharedArrayBuffers): ${(err as Error).message}`);
  }
  if (opts.agent !== undefined) validateAgentOptions(opts.agent, maps);
  return { maps, params: opts.params, iterations, durationMs, warmupIterations, latencySampleEvery, agent: opts.agent, setupTimeoutMs, timeoutMs, stopGraceMs };
}

function validateAgentOptions(a: AgentRunOptions, maps: Record<string, MapHandle>): void {
  if (typeof a !== 'object' || a === null) throw new TypeError(`agent must be an object ({ sample?, sweep? }), got ${describe(a)}`);
  if (a.sample !== undefined) {
    const s = a.sample;
    if (!Array.isArray(s.maps) || s.maps.length === 0) throw new TypeError('agent.sample.maps must be a non-empty array of map names');
    for (const n of s.maps) if (!(n in maps)) throw new TypeError(`agent.sample.maps: ${describe(n)} is not one of the run's maps`);
    requireMs('agent.sample.everyMs', s.everyMs);
    if (s.count !== undefined) requireInt('agent.sample.count', s.count, 1);
  }
  if (a.sweep !== undefined) {
    const w = a.sweep;
    if (typeof w.map !== 'string' || !(w.map in maps)) throw new TypeError(`agent.sweep.map: ${describe(w.map)} is not one of the run's maps`);
    requireMs('agent.sweep.everyMs', w.everyMs);
    if (!(w.module instanceof URL) && typeof w.module !== 'string') throw new TypeError('agent.sweep.module must be a URL or an absolute path');
  }
}
