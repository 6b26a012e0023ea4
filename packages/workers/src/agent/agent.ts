import { Worker } from 'node:worker_threads';
import { wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { BpfMap, DecisionRecord, MapHandle, MapStats } from '@rightsize/engine';
import type { WalkOptions, WalkReport } from './resize-ops.js';
import type { SamplePoint, SweepReport } from './api.js';
import { handleOf } from '../util/handle.js';
import { bounded } from '../util/bounded.js';
import type { KeyInput } from '../util/keys.js';
import { moduleHref } from '../util/module-url.js';
import type { AgentApi } from './api.js';

export interface AgentOptions {
  /** Bound on every agent call (a sweep or a dump of a large map can take a while). Default 30 000 ms. */
  callTimeoutMs?: number;
}

/**
 * The control plane, seen from the main thread: a worker thread reached
 * through comlink (about 74 µs a call here, which is why it is only for the
 * control plane). Every call is bounded, and fails at once if the agent
 * thread died.
 */
export class Agent {
  private readonly exited: Promise<never>;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly remote: Remote<AgentApi>,
    private readonly callTimeoutMs: number,
  ) {
    this.exited = new Promise<never>((_, reject) => {
      worker.once('error', (err) => reject(new Error(`rightsize: the agent thread crashed: ${err.message}`)));
      worker.once('exit', (code) => reject(new Error(`rightsize: the agent thread exited (code ${code})`)));
    });
    // Nobody may be waiting when the thread ends (close(), or a crash between calls).
    this.exited.catch(() => undefined);
  }

  /** Starts the agent thread in the machine's quiescence domain, reading the machine's ktime epoch. */
  static async start(domain: SharedArrayBuffer, clock: SharedArrayBuffer, opts: AgentOptions = {}): Promise<Agent> {
    const callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    const worker = new Worker(new URL('./agent-worker.js', import.meta.url), { workerData: { domain, clock } });
    const agent = new Agent(worker, wrap<AgentApi>(nodeEndpoint(worker)), callTimeoutMs);
    await agent.call('start', () => agent.remote.ping());
    return agent;
  }

  private call<T>(what: string, f: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`rightsize: agent.${what}: the agent was closed`));
    return bounded(Promise.race([f(), this.exited]), this.callTimeoutMs, `agent.${what}`);
  }

  attach(name: string, map: BpfMap | MapHandle): Promise<void> {
    const handle = handleOf('map', map);
    return this.call('attach', () => this.remote.attach(name, handle));
  }
  detach(name: string): Promise<void> {
    return this.call('detach', () => this.remote.detach(name));
  }
  names(): Promise<string[]> {
    return this.call('names', () => this.remote.names());
  }
  stats(name: string): Promise<MapStats> {
    return this.call('stats', () => this.remote.stats(name));
  }
  dump(name: string, limit?: number): Promise<[Uint8Array, Uint8Array][]> {
    return this.call('dump', () => this.remote.dump(name, limit));
  }
  lookup(name: string, key: KeyInput): Promise<Uint8Array | undefined> {
    return this.call('lookup', () => this.remote.lookup(name, key));
  }
  update(name: string, key: KeyInput, value: Uint8Array, flags = 0): Promise<number> {
    return this.call('update', () => this.remote.update(name, key, value, flags));
  }
  delete(name: string, key: KeyInput): Promise<number> {
    return this.call('delete', () => this.remote.delete(name, key));
  }
  grow(name: string): Promise<number> {
    return this.call('grow', () => this.remote.grow(name));
  }
  shrink(name: string): Promise<number> {
    return this.call('shrink', () => this.remote.shrink(name));
  }
  nowNs(): Promise<number> {
    return this.call('nowNs', () => this.remote.nowNs());
  }
  /** Samples stats() of `names` now and every `everyMs` ms; with `count`, exactly count samplings. */
  startSampling(names: string[], everyMs: number, opts: { count?: number } = {}): Promise<void> {
    return this.call('startSampling', () => this.remote.startSampling(names, everyMs, opts.count));
  }
  /** Waits (at most timeoutMs) until a counted sampling is complete; returns the series. */
  waitSampling(timeoutMs = 10_000): Promise<SamplePoint[]> {
    return this.call('waitSampling', () => this.remote.waitSampling(timeoutMs));
  }
  stopSampling(): Promise<SamplePoint[]> {
    return this.call('stopSampling', () => this.remote.stopSampling());
  }
  /** hash_resize: sets the live map's bound (0, -EINVAL below the entries, -EBUSY during a resize). */
  setMaxEntries(name: string, n: number): Promise<number> {
    return this.call('setMaxEntries', () => this.remote.setMaxEntries(name, n));
  }
  resizeHint(name: string, entries: number): Promise<void> {
    return this.call('resizeHint', () => this.remote.resizeHint(name, entries));
  }
  decisionLog(name: string, since = 0): Promise<{ next: number; lost: number; records: DecisionRecord[] }> {
    return this.call('decisionLog', () => this.remote.decisionLog(name, since));
  }
  startWalks(name: string, opts: WalkOptions): Promise<void> {
    return this.call('startWalks', () => this.remote.startWalks(name, opts));
  }
  stopWalks(): Promise<{ reports: WalkReport[]; errors: string[] }> {
    return this.call('stopWalks', () => this.remote.stopWalks());
  }
  startBoundKeeper(name: string, everyMs: number, raiseAt: number, factor: number): Promise<void> {
    return this.call('startBoundKeeper', () => this.remote.startBoundKeeper(name, everyMs, raiseAt, factor));
  }
  stopBoundKeeper(): Promise<{ raises: number; busy: number; errors: string[] }> {
    return this.call('stopBoundKeeper', () => this.remote.stopBoundKeeper());
  }
  startSweep(name: string, module: string | URL, everyMs: number, params?: unknown): Promise<void> {
    const href = moduleHref('sweep module', module);
    return this.call('startSweep', () => this.remote.startSweep(name, href, everyMs, params));
  }
  sweepOnce(name: string, module: string | URL, params?: unknown): Promise<number> {
    const href = moduleHref('sweep module', module);
    return this.call('sweepOnce', () => this.remote.sweepOnce(name, href, params));
  }
  stopSweep(): Promise<SweepReport> {
    return this.call('stopSweep', () => this.remote.stopSweep());
  }

  /** Ends the agent thread (its maps are detached with it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await bounded(this.worker.terminate(), 10_000, 'agent.close');
  }
}
