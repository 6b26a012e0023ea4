import type { BpfMap, DecisionRecord, MapHandle, MapStats } from '@rightsize/engine';
import type { WalkOptions, WalkReport } from './resize-ops.js';
import type { KeyInput } from '../util/keys.js';

/** One sample of a map's stats() taken by the agent while the CPUs run. */
export interface SamplePoint {
  /** ns on the run's ktime clock. */
  t: number;
  map: string;
  stats: MapStats;
}

export interface SweepReport {
  sweeps: number;
  swept: number;
  errors: string[];
}

/**
 * What the agent thread exposes through comlink. Every method runs in the
 * agent thread, as userspace (no CPU id): the control plane of the maps.
 */
export interface AgentApi {
  ping(): string;
  /** Attaches a map under `name` (replacing whatever had that name). */
  attach(name: string, handle: MapHandle): void;
  detach(name: string): void;
  names(): string[];
  stats(name: string): MapStats;
  /** Every entry, [key, value] (userspace view: per-CPU maps give every CPU's value). At most `limit` entries. */
  dump(name: string, limit?: number): [Uint8Array, Uint8Array][];
  lookup(name: string, key: KeyInput): Uint8Array | undefined;
  update(name: string, key: KeyInput, value: Uint8Array, flags?: number): number;
  delete(name: string, key: KeyInput): number;
  grow(name: string): number;
  shrink(name: string): number;
  /** ns on the ktime clock of the machine's current (or last) run. */
  nowNs(): number;
  /** Samples stats() of `names` now and every `everyMs`; with `count`, stops after that many samplings. */
  startSampling(names: string[], everyMs: number, count?: number): void;
  /** Resolves with the series once `count` samplings were taken (rejects after timeoutMs). */
  waitSampling(timeoutMs: number): Promise<SamplePoint[]>;
  /** Stops sampling (taking a last sample if it was still going) and returns the series. */
  stopSampling(): SamplePoint[];
  /** Runs the sweep module's default export on the map every `everyMs`. */
  startSweep(name: string, moduleHref: string, everyMs: number, params?: unknown): Promise<void>;
  /** Runs the sweep module once, now; returns what it removed. */
  sweepOnce(name: string, moduleHref: string, params?: unknown): Promise<number>;
  /** Stops every sweep; returns their totals. */
  stopSweep(): Promise<SweepReport>;
  /** hash_resize: sets the bound on entries of the live map (0, -EINVAL below the entries, -EBUSY during a resize). */
  setMaxEntries(name: string, n: number): number;
  /** hash_resize: a hint of the entries to expect (the adaptive controller grows to fit them). */
  resizeHint(name: string, entries: number): void;
  /** hash_resize: the resize decisions logged since `since` (resize-control.ts). */
  decisionLog(name: string, since?: number): { next: number; lost: number; records: DecisionRecord[] };
  /** hash_resize: walks the map again and again from the agent (resize-ops.ts Walker) until stopWalks. */
  startWalks(name: string, opts: WalkOptions): void;
  stopWalks(): Promise<{ reports: WalkReport[]; errors: string[] }>;
  /** hash_resize: raises the bound by `factor` whenever the entries pass `raiseAt` of it (resize-ops.ts BoundKeeper). */
  startBoundKeeper(name: string, everyMs: number, raiseAt: number, factor: number): void;
  stopBoundKeeper(): { raises: number; busy: number; errors: string[] };
}

/**
 * A sweep module's default export: runs in the agent thread with the map, the
 * sweep's params and the current ktime (ns, the run's clock); removes what it
 * decides to and returns how many entries it removed.
 */
export type SweepFn<P = unknown> = (map: BpfMap, params: P, nowNs: number) => number | Promise<number>;
