import { parentPort, workerData } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { QuiescenceDomain, attachMap, setDefaultDomain, type BpfMap, type MapHandle, type MapStats } from '@rightsize/engine';
import type { SamplePoint, SweepReport } from './api.js';
import { keyBytes, type KeyInput } from '../util/keys.js';
import type { AgentApi } from './api.js';
import { Sampler } from './sampler.js';
import { Sweeper, loadSweep } from './sweeper.js';
import { BoundKeeper, Walker, resizable, type WalkOptions, type WalkReport } from './resize-ops.js';

/**
 * The agent thread: the userspace daemon of the machine. It joins the
 * machine's quiescence domain (as a userspace thread: each map operation is a
 * read section of its own) and reads the run's epoch from the machine's clock
 * word, so that `nowNs` and the programs' `ktimeGetNs` are one clock.
 */
const init = workerData as { domain: SharedArrayBuffer; clock: SharedArrayBuffer };
setDefaultDomain(QuiescenceDomain.attach(init.domain));
const clock = new BigInt64Array(init.clock);
const nowNs = (): number => Number(process.hrtime.bigint() - Atomics.load(clock, 0));

const maps = new Map<string, BpfMap>();
let sampler: Sampler | null = null;
const sweepers: Sweeper[] = [];
let walker: Walker | null = null;
let keeper: BoundKeeper | null = null;

function mapNamed(name: string): BpfMap {
  const m = maps.get(name);
  if (!m) throw new TypeError(`the agent has no map named ${JSON.stringify(name)} (attach it first; known: ${[...maps.keys()].join(', ') || 'none'})`);
  return m;
}

const api: AgentApi = {
  ping: () => 'pong',
  attach(name: string, handle: MapHandle): void {
    if (typeof name !== 'string' || name === '') throw new TypeError('a map name must be a non-empty string');
    const m = attachMap(handle);
    maps.get(name)?.close();
    maps.set(name, m);
  },
  detach(name: string): void {
    maps.get(name)?.close();
    maps.delete(name);
  },
  names: () => [...maps.keys()],
  stats: (name: string): MapStats => mapNamed(name).stats(),
  dump(name: string, limit = Number.POSITIVE_INFINITY): [Uint8Array, Uint8Array][] {
    const m = mapNamed(name);
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of m.keys()) {
      if (out.length >= limit) break;
      // A key deleted by a CPU between the walk and the lookup is skipped.
      const v = m.lookup(k);
      if (v) out.push([k, v]);
    }
    return out;
  },
  lookup: (name: string, key: KeyInput) => mapNamed(name).lookup(keyBytes(key)),
  update: (name: string, key: KeyInput, value: Uint8Array, flags = 0) => mapNamed(name).update(keyBytes(key), value, flags),
  delete: (name: string, key: KeyInput) => mapNamed(name).delete(keyBytes(key)),
  grow: (name: string) => mapNamed(name).grow(),
  shrink: (name: string) => mapNamed(name).shrink(),
  nowNs,
  startSampling(names: string[], everyMs: number, count?: number): void {
    if (sampler?.active) throw new Error('the agent is already sampling: stopSampling() first');
    if (!Array.isArray(names) || names.length === 0) throw new TypeError('startSampling needs a non-empty array of map names');
    if (!(everyMs > 0) || !Number.isFinite(everyMs)) throw new RangeError(`everyMs must be a positive number, got ${everyMs}`);
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) throw new RangeError(`count must be a positive integer, got ${count}`);
    sampler = new Sampler(
      names.map((n) => [n, mapNamed(n)]),
      everyMs,
      count,
      nowNs,
    );
  },
  async waitSampling(timeoutMs: number): Promise<SamplePoint[]> {
    const s = sampler;
    if (!s) throw new Error('the agent is not sampling');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`sampling did not take its count within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([s.done(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return s.series;
  },
  stopSampling(): SamplePoint[] {
    const s = sampler;
    sampler = null;
    return s ? s.stop() : [];
  },
  async startSweep(name: string, moduleHref: string, everyMs: number, params?: unknown): Promise<void> {
    if (!(everyMs > 0) || !Number.isFinite(everyMs)) throw new RangeError(`everyMs must be a positive number, got ${everyMs}`);
    const m = mapNamed(name);
    const fn = await loadSweep(moduleHref);
    sweepers.push(new Sweeper(name, m, fn, params, everyMs, nowNs));
  },
  async sweepOnce(name: string, moduleHref: string, params?: unknown): Promise<number> {
    const fn = await loadSweep(moduleHref);
    const n = await fn(mapNamed(name), params, nowNs());
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError(`the sweep returned ${String(n)}, not a count of removed entries`);
    return n;
  },
  async stopSweep(): Promise<SweepReport> {
    const all = sweepers.splice(0);
    await Promise.all(all.map((s) => s.stop()));
    return {
      sweeps: all.reduce((a, s) => a + s.sweeps, 0),
      swept: all.reduce((a, s) => a + s.swept, 0),
      errors: all.flatMap((s) => s.errors),
    };
  },
  setMaxEntries: (name: string, n: number) => resizable(name, mapNamed(name)).setMaxEntries(n),
  resizeHint: (name: string, entries: number) => resizable(name, mapNamed(name)).resizeHint(entries),
  decisionLog: (name: string, since = 0) => resizable(name, mapNamed(name)).decisionLog(since),
  startWalks(name: string, opts: WalkOptions): void {
    if (walker) throw new Error('the agent is already walking: stopWalks() first');
    walker = new Walker(resizable(name, mapNamed(name)), opts);
  },
  async stopWalks(): Promise<{ reports: WalkReport[]; errors: string[] }> {
    const w = walker;
    walker = null;
    if (!w) return { reports: [], errors: [] };
    return { reports: await w.stop(), errors: w.errors };
  },
  startBoundKeeper(name: string, everyMs: number, raiseAt: number, factor: number): void {
    if (keeper) throw new Error('the agent already keeps a bound: stopBoundKeeper() first');
    if (!(everyMs > 0) || !Number.isFinite(everyMs)) throw new RangeError(`everyMs must be a positive number, got ${everyMs}`);
    keeper = new BoundKeeper(resizable(name, mapNamed(name)), everyMs, raiseAt, factor);
  },
  stopBoundKeeper() {
    const k = keeper;
    keeper = null;
    return k ? k.stop() : { raises: 0, busy: 0, errors: [] };
  },
};

expose(api, nodeEndpoint(parentPort!));
