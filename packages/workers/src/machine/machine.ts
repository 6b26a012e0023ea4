import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { MAX_CPUS, QuiescenceDomain, requireInt, setDefaultDomain, type BpfMap, type MapHandle } from '@rightsize/engine';
import { Agent, type AgentOptions } from '../agent/agent.js';
import { Script } from '../script/script.js';
import { bounded } from '../util/bounded.js';
import { handleOf } from '../util/handle.js';
import { requireMs, validateRunOptions, type RunOptions } from './options.js';
import type { RunResult } from './result.js';
import { ActiveRun } from './run.js';

export interface MachineOptions {
  /** CPUs (worker threads). Default: os.availableParallelism(), at most MAX_CPUS. */
  cpus?: number;
  /** Options of the agent thread (machine.agent()). */
  agent?: AgentOptions;
}

export interface ScriptOptions {
  /** Maps by name, attached in every script CPU. */
  maps?: Record<string, BpfMap | MapHandle>;
  /** The CPU ids the script drives (each gets its own worker, for the script's life). */
  cpus: number[];
  /** Bound on one step. Default 10 000 ms. */
  stepTimeoutMs?: number;
}

/** The CPU task file piscina loads in every worker: built JS next to this module's folder. */
const CPU_TASK = fileURLToPath(new URL('../runtime/cpu-task.js', import.meta.url));

/**
 * A machine of N CPUs: a piscina pool with exactly N workers that never idle
 * out, so that a run's N tasks always land on N distinct, already started
 * workers and a start barrier over them cannot deadlock. piscina cannot pin a
 * task to a worker; the CPU id travels in the task.
 *
 * The machine owns a quiescence domain and makes it the default of the main
 * thread (maps created after Machine.start join it) and of every CPU, the
 * agent and script workers.
 */
export class Machine {
  readonly cpus: number;
  readonly domain: QuiescenceDomain;
  /** The current (or last) run's ktime epoch: process.hrtime.bigint() when it started. */
  private readonly clock: BigInt64Array;
  private readonly pool: Piscina;
  private agentP: Promise<Agent> | null = null;
  private current: ActiveRun | null = null;
  private openScript: Script | null = null;
  private scriptStarting = false;
  private closed = false;
  /** Errors the pool reported outside any task (a worker that crashed between runs). */
  readonly poolErrors: Error[] = [];

  private constructor(
    cpus: number,
    private readonly opts: MachineOptions,
  ) {
    this.cpus = cpus;
    this.domain = QuiescenceDomain.create();
    setDefaultDomain(this.domain);
    this.clock = new BigInt64Array(new SharedArrayBuffer(8));
    Atomics.store(this.clock, 0, process.hrtime.bigint());
    this.pool = new Piscina({
      filename: CPU_TASK,
      minThreads: cpus,
      maxThreads: cpus,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      // Tasks are few and long: the Atomics wait loop piscina uses between
      // tasks would only block the idle workers' event loops.
      atomics: 'disabled',
    });
    this.pool.on('error', (err: Error) => this.poolErrors.push(err));
  }

  static async start(opts: MachineOptions = {}): Promise<Machine> {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Machine.start takes an options object ({ cpus })');
    const cpus = opts.cpus === undefined ? Math.min(availableParallelism(), MAX_CPUS) : requireInt('cpus', opts.cpus, 1, MAX_CPUS);
    if (opts.agent?.callTimeoutMs !== undefined) requireMs('agent.callTimeoutMs', opts.agent.callTimeoutMs);
    return new Machine(cpus, opts);
  }

  /**
   * Runs `program` (the URL or absolute path of a compiled module whose default
   * export comes from defineProgram) on every CPU. Resolves with the per-CPU
   * results, also when a CPU threw or died (then `error` says which, where).
   * Rejects only for misuse: bad options, a closed machine, a run or script
   * already in progress.
   */
  async run(program: string | URL, opts: RunOptions): Promise<RunResult> {
    this.checkOpen();
    if (this.current) throw new Error('rightsize: a run is already in progress on this machine (runs are one at a time)');
    if (this.openScript || this.scriptStarting) throw new Error('rightsize: a script is open on this machine: close it before a run (they share the CPU ids)');
    const o = validateRunOptions(opts);
    const run = new ActiveRun({ pool: this.pool, nCpus: this.cpus, domain: this.domain, clock: this.clock, agent: () => this.agent() }, program, o);
    this.current = run;
    try {
      return await run.done;
    } finally {
      this.current = null;
    }
  }

  /** Ends the current run (every CPU after its current event); false when no run is in progress. */
  stop(): boolean {
    if (!this.current) return false;
    this.current.stop();
    return true;
  }

  /** ns on the ktime clock of the current (or last) run, as ctx.ktimeGetNs() in a program. */
  nowNs(): number {
    return Number(process.hrtime.bigint() - Atomics.load(this.clock, 0));
  }

  /** The machine's agent thread (started on first use). */
  agent(): Promise<Agent> {
    this.checkOpen();
    this.agentP ??= Agent.start(this.domain.sab, this.clock.buffer as SharedArrayBuffer, this.opts.agent);
    this.agentP.catch(() => (this.agentP = null));
    return this.agentP;
  }

  /** Opens a scenario script on the given CPU ids (no run may be in progress while it is open). */
  async script(opts: ScriptOptions): Promise<Script> {
    this.checkOpen();
    if (typeof opts !== 'object' || opts === null) throw new TypeError('script options must be an object ({ maps, cpus })');
    if (!Array.isArray(opts.cpus) || opts.cpus.length === 0) throw new TypeError('script cpus must be a non-empty array of CPU ids');
    opts.cpus.forEach((c, i) => requireInt(`cpus[${i}]`, c, 0, MAX_CPUS - 1));
    if (new Set(opts.cpus).size !== opts.cpus.length) throw new RangeError(`script cpus must be distinct, got ${opts.cpus.join(', ')}`);
    const stepTimeoutMs = opts.stepTimeoutMs === undefined ? 10_000 : requireMs('stepTimeoutMs', opts.stepTimeoutMs);
    const maps: Record<string, MapHandle> = {};
    for (const [name, m] of Object.entries(opts.maps ?? {})) maps[name] = handleOf(`maps.${name}`, m);
    if (this.current) throw new Error('rightsize: a run is in progress: a script cannot start before it ends (they share the CPU ids)');
    if (this.openScript || this.scriptStarting) throw new Error('rightsize: a script is already open on this machine');
    const domains = [this.domain];
    for (const h of Object.values(maps)) {
      const d = QuiescenceDomain.attach(h.domain);
      if (!domains.some((x) => x.id === d.id)) domains.push(d);
    }
    this.scriptStarting = true;
    try {
      const script = await Script.open({
        cpus: opts.cpus,
        nCpus: this.cpus,
        maps,
        domains,
        clock: this.clock.buffer as SharedArrayBuffer,
        stepTimeoutMs,
        onClose: () => {
          if (this.openScript === script) this.openScript = null;
        },
      });
      this.openScript = script;
      return script;
    } finally {
      this.scriptStarting = false;
    }
  }

  /** Stops a run in progress, closes an open script, ends the agent and the pool's workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.current) {
      this.current.stop();
      await bounded(this.current.done, 60_000, 'the run in progress to stop').catch(() => undefined);
    }
    if (this.openScript) await this.openScript.close().catch(() => undefined);
    const agent = this.agentP;
    this.agentP = null;
    if (agent) await agent.then((a) => a.close()).catch(() => undefined);
    await bounded(this.pool.destroy(), 30_000, 'closing the CPU pool');
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('rightsize: this machine was closed');
  }
}
