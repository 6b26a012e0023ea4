import { Worker } from 'node:worker_threads';
import type { MapStats, QuiescenceDomain } from '@rightsize/engine';
import { bounded } from '../util/bounded.js';
import { keyBytes, type KeyInput } from '../util/keys.js';
import { moduleHref } from '../util/module-url.js';
import type { LookupResult, ScriptWorkerInit, StepReply, StepRequest } from './protocol.js';

/** A step as it went: the log two runs of a script are compared by. */
export interface ScriptStep {
  cpu: number;
  op: string;
  map?: string;
  result?: unknown;
  error?: string;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;
type StepBody = Distribute<StepRequest>;

/** One CPU's worker of a script. */
class ScriptCpuWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  dead: string | null = null;

  constructor(
    readonly cpu: number,
    readonly worker: Worker,
  ) {
    worker.on('message', (m: StepReply | { ready: true }) => {
      if ('ready' in m) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    });
    worker.on('error', (err) => this.fail(`CPU ${cpu}'s script worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.fail(`CPU ${cpu}'s script worker exited (code ${code})`));
  }

  /** Rejects every pending step: the worker is gone. */
  fail(reason: string): void {
    this.dead ??= reason;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  /** Sends a step; after `timeoutMs` without an answer, `onTimeout` (which stops the CPU) runs before the step rejects. */
  send(body: StepBody, timeoutMs: number, onTimeout: () => Promise<void>): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error(`${this.dead}: no more steps run on CPU ${this.cpu}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        const err = new Error(`step ${body.op} on CPU ${this.cpu} did not finish within ${timeoutMs} ms; the CPU's worker was terminated and its slot marked dead`);
        // The step is rejected once the worker is gone, whether terminating it worked or not.
        void onTimeout()
          .catch(() => undefined)
          .then(() => reject(err));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ ...body, id } as StepRequest);
    });
  }
}

export interface ScriptInit {
  cpus: number[];
  nCpus: number;
  maps: Record<string, import('@rightsize/engine').MapHandle>;
  domains: QuiescenceDomain[];
  clock: SharedArrayBuffer;
  stepTimeoutMs: number;
  /** Called once the script is closed (the machine is free for runs again). */
  onClose: () => void;
}

/**
 * A scenario script: chosen CPUs driven step by step. Steps are queued: each
 * starts only after the previous one (on any CPU) finished, even when the
 * caller does not await them, so one script always gives one interleaving.
 * `kill` does not queue: it is how a script ends a step that never returns.
 */
export class Script {
  /** Every step in the order it ran, with its result (or error). */
  readonly log: ScriptStep[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly workers: Map<number, ScriptCpuWorker>,
    private readonly init: ScriptInit,
  ) {}

  static async open(init: ScriptInit): Promise<Script> {
    const workers = new Map<number, ScriptCpuWorker>();
    try {
      for (const cpu of init.cpus) {
        const data: ScriptWorkerInit = { cpu, nCpus: init.nCpus, domains: init.domains.map((d) => d.sab), maps: init.maps, clock: init.clock };
        const worker = new Worker(new URL('./script-worker.js', import.meta.url), { workerData: data });
        const ready = new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`CPU ${cpu}'s script worker exited during start (code ${code})`)));
        });
        workers.set(cpu, new ScriptCpuWorker(cpu, worker));
        await bounded(ready, 10_000, `starting CPU ${cpu}'s script worker`);
      }
    } catch (err) {
      await Promise.all([...workers.values()].map((w) => w.worker.terminate()));
      throw err;
    }
    return new Script(workers, init);
  }

  /** The steps of CPU `cpu`. */
  on(cpu: number): ScriptCpu {
    const w = this.workers.get(cpu);
    if (!w) throw new RangeError(`CPU ${cpu} is not part of this script (its CPUs: ${[...this.workers.keys()].join(', ')})`);
    return new ScriptCpu(this, cpu);
  }

  /** @internal Queues a step on a CPU. */
  step(cpu: number, body: StepBody, map?: string): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the script was closed'));
    const w = this.workers.get(cpu)!;
    const run = async (): Promise<unknown> => {
      const entry: ScriptStep = { cpu, op: body.op };
      if (map !== undefined) entry.map = map;
      try {
        entry.result = await w.send(body, this.init.stepTimeoutMs, () => this.kill(cpu));
        return entry.result;
      } catch (err) {
        entry.error = (err as Error).message;
        throw err;
      } finally {
        this.log.push(entry);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Terminates CPU `cpu`'s worker now (whatever step it is in) and marks its
   * quiescence slot dead: locks it held become recoverable by the others and
   * grace periods stop waiting for it. A pending step of that CPU rejects.
   */
  async kill(cpu: number): Promise<void> {
    const w = this.workers.get(cpu);
    if (!w) throw new RangeError(`CPU ${cpu} is not part of this script`);
    w.fail(`CPU ${cpu} was killed`);
    // Dead only once the thread is gone: marking it earlier would let another
    // CPU take over a lock it holds while it is still inside the critical section.
    await bounded(w.worker.terminate(), 10_000, `terminating CPU ${cpu}'s script worker`);
    for (const d of this.init.domains) d.markDead(cpu);
  }

  /** Ends every CPU's worker (cleanly: it detaches its maps and goes offline); the machine can run again. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    try {
      await Promise.all(
        [...this.workers.values()].map(async (w) => {
          if (w.dead) return;
          const exited = new Promise<void>((resolve) => w.worker.once('exit', () => resolve()));
          try {
            await w.send({ op: 'close' }, 5_000, async () => undefined);
            await bounded(exited, 5_000, `CPU ${w.cpu}'s script worker exit`);
          } catch {
            await w.worker.terminate();
          }
        }),
      );
    } finally {
      this.init.onClose();
    }
  }
}

/** The steps one CPU of a script can run; each resolves with the helper's result. */
export class ScriptCpu {
  constructor(
    private readonly script: Script,
    readonly cpu: number,
  ) {}

  lookup(map: string, key: KeyInput): Promise<LookupResult> {
    return this.script.step(this.cpu, { op: 'lookup', map, key: keyBytes(key) }, map) as Promise<LookupResult>;
  }
  lookupAndDelete(map: string, key: KeyInput): Promise<LookupResult> {
    return this.script.step(this.cpu, { op: 'lookupAndDelete', map, key: keyBytes(key) }, map) as Promise<LookupResult>;
  }
  update(map: string, key: KeyInput, value: Uint8Array, flags = 0): Promise<number> {
    return this.script.step(this.cpu, { op: 'update', map, key: keyBytes(key), value, flags }, map) as Promise<number>;
  }
  delete(map: string, key: KeyInput): Promise<number> {
    return this.script.step(this.cpu, { op: 'delete', map, key: keyBytes(key) }, map) as Promise<number>;
  }
  atomicAdd(map: string, key: KeyInput, byteOffset: number, delta: number): Promise<number> {
    return this.script.step(this.cpu, { op: 'atomicAdd', map, key: keyBytes(key), byteOffset, delta }, map) as Promise<number>;
  }
  grow(map: string): Promise<number> {
    return this.script.step(this.cpu, { op: 'grow', map }, map) as Promise<number>;
  }
  shrink(map: string): Promise<number> {
    return this.script.step(this.cpu, { op: 'shrink', map }, map) as Promise<number>;
  }
  stats(map: string): Promise<MapStats> {
    return this.script.step(this.cpu, { op: 'stats', map }, map) as Promise<MapStats>;
  }
  /** Runs `module`'s export `fn(ctx, ...args)` on this CPU (ctx: the program helpers); resolves with its (awaited) return value. */
  call(module: string | URL, fn: string, args: unknown[] = []): Promise<unknown> {
    const href = moduleHref('module', module);
    if (!Array.isArray(args)) throw new TypeError('call args must be an array');
    return this.script.step(this.cpu, { op: 'call', module: href, fn, args });
  }
}
