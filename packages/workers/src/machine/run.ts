import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { QuiescenceDomain } from '@rightsize/engine';
import type { Agent } from '../agent/agent.js';
import { PHASES, W_END, W_EVENTS, W_PHASE, W_START, W_THREAD, claimError, controlWords, cpuRegion, createRunBuffer, errorCpu, stopRun } from '../runtime/run-buffer.js';
import type { CpuTask, CpuTaskResult } from '../runtime/task.js';
import { bounded } from '../util/bounded.js';
import { moduleHref } from '../util/module-url.js';
import type { ValidRunOptions } from './options.js';
import type { SamplePoint, SweepReport } from '../agent/api.js';
import { readCpuResult, totalOf, type RunError, type RunResult } from './result.js';

/** What a run needs from its machine. */
export interface RunEnv {
  pool: Piscina;
  nCpus: number;
  domain: QuiescenceDomain;
  /** The machine's clock word: the current run's epoch, read by the agent. */
  clock: BigInt64Array;
  agent: () => Promise<Agent>;
}

type Outcome = { result?: CpuTaskResult; err?: Error; killed: boolean; settled: boolean };

/**
 * One run: N tasks on the pool, then the bookkeeping that turns failures into
 * a report instead of a hang. Every wait is bounded:
 *  - a CPU that throws stops the run itself (STOP, and the barrier if it was
 *    still closed);
 *  - a CPU whose worker dies is seen here (piscina rejects its task): the run
 *    is stopped, the CPU's quiescence slot is marked dead;
 *  - once the run is stopped for any reason, CPUs get stopGraceMs to finish
 *    their current event; a CPU still busy then has its task aborted, which
 *    makes piscina terminate its worker (and start a replacement);
 *  - the whole run is stopped after timeoutMs.
 */
export class ActiveRun {
  readonly done: Promise<RunResult>;
  private readonly ctl: Int32Array;
  private readonly sab: SharedArrayBuffer;
  private readonly outcomes: Outcome[];
  private readonly aborts: AbortController[];
  private readonly domains: QuiescenceDomain[];
  private mainError: RunError | undefined;
  /** The first CPU still running when timeoutMs ran out, or -1. */
  private timedOut = -1;
  private graceTimer: NodeJS.Timeout | undefined;
  private overallTimer: NodeJS.Timeout | undefined;
  private readonly killing: Promise<void>[] = [];

  constructor(
    private readonly env: RunEnv,
    program: string | URL,
    private readonly o: ValidRunOptions,
  ) {
    const href = moduleHref('program', program);
    this.domains = domainsOf(env.domain, o);
    const { sab, epoch } = createRunBuffer(env.nCpus);
    this.sab = sab;
    this.ctl = controlWords(sab);
    Atomics.store(env.clock, 0, epoch);
    this.outcomes = Array.from({ length: env.nCpus }, () => ({ killed: false, settled: false }));
    this.aborts = Array.from({ length: env.nCpus }, () => new AbortController());
    this.done = this.execute(href);
  }

  /** Ends the run: every CPU stops after its current event. */
  stop(): void {
    stopRun(this.ctl);
    this.armGrace();
  }

  private async execute(href: string): Promise<RunResult> {
    const o = this.o;
    const agent = o.agent ? await this.env.agent() : undefined;
    if (agent && o.agent) {
      const names = new Set([...(o.agent.sample?.maps ?? []), ...(o.agent.sweep ? [o.agent.sweep.map] : [])]);
      try {
        for (const n of names) await agent.attach(n, o.maps[n]!);
        const s = o.agent.sample;
        if (s) await agent.startSampling(s.maps, s.everyMs, s.count === undefined ? {} : { count: s.count });
        const w = o.agent.sweep;
        if (w) await agent.startSweep(w.map, w.module, w.everyMs, w.params);
      } catch (err) {
        await agent.stopSampling().catch(() => undefined);
        await agent.stopSweep().catch(() => undefined);
        throw err;
      }
    }

    this.overallTimer = setTimeout(() => this.onTimeout(), o.timeoutMs);
    const tasks = this.outcomes.map((out, cpu) => {
      const task: CpuTask = {
        cpu,
        nCpus: this.env.nCpus,
        program: href,
        maps: o.maps,
        params: o.params,
        run: this.sab,
        domains: this.domains.map((d) => d.sab),
        iterations: o.iterations,
        durationMs: o.durationMs,
        warmupIterations: o.warmupIterations,
        latencySampleEvery: o.latencySampleEvery,
        setupTimeoutMs: o.setupTimeoutMs,
      };
      return (this.env.pool.run(task, { signal: this.aborts[cpu]!.signal }) as Promise<CpuTaskResult>).then(
        (r) => {
          out.settled = true;
          out.result = r;
          if (r.barrier === 'timeout') this.onBarrierTimeout(r);
          if (r.error || r.barrier !== 'open') this.armGrace();
        },
        (err: Error) => {
          out.settled = true;
          out.err = err;
          if (!out.killed) this.onDied(cpu, err);
        },
      );
    });
    try {
      await Promise.all(tasks);
    } finally {
      clearTimeout(this.overallTimer);
      clearTimeout(this.graceTimer);
    }
    // A killed worker may still be on its way out: the next run must not meet it.
    await Promise.all(this.killing);
    if (this.timedOut >= 0 && claimError(this.ctl, this.timedOut)) {
      this.mainError = this.errorAt(this.timedOut, 'timeout', `the run did not end within timeoutMs (${this.o.timeoutMs} ms) and was stopped`);
    }

    let series: SamplePoint[] | undefined;
    let report: SweepReport | undefined;
    if (agent && o.agent) {
      if (o.agent.sample) series = await agent.stopSampling();
      if (o.agent.sweep) report = await agent.stopSweep();
    }
    return this.result(series, report);
  }

  private onDied(cpu: number, err: Error): void {
    for (const d of this.domains) d.markDead(cpu);
    this.endRegion(cpu);
    if (claimError(this.ctl, cpu)) {
      this.mainError = this.errorAt(cpu, 'died', `CPU ${cpu}'s worker died: ${err.message}`);
    }
    this.stop();
  }

  private onBarrierTimeout(r: CpuTaskResult): void {
    const late = r.late?.[0];
    if (!late || !claimError(this.ctl, late.cpu)) return;
    this.mainError = {
      cpu: late.cpu,
      iteration: -1,
      message: `CPU ${late.cpu} did not finish setup and warm-up within setupTimeoutMs (${this.o.setupTimeoutMs} ms): CPU ${r.cpu} gave up waiting at the start barrier and the run was called off`,
      kind: 'timeout',
      phase: late.phase,
    };
  }

  /**
   * The run's bound ran out: stop it. Which CPU to blame is decided later: a
   * CPU that does not stop within the grace is (killStragglers); if all stop,
   * the first one that was still running now is (execute, at the end).
   */
  private onTimeout(): void {
    this.timedOut = this.outcomes.findIndex((x) => !x.settled);
    this.stop();
  }

  private armGrace(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => this.killStragglers(), this.o.stopGraceMs);
  }

  /** CPUs still busy stopGraceMs after the stop: their workers are terminated. */
  private killStragglers(): void {
    const threads = this.env.pool.threads;
    this.outcomes.forEach((out, cpu) => {
      if (out.settled) return;
      out.killed = true;
      const region = cpuRegion(this.sab, cpu);
      const phase = PHASES[region[W_PHASE]!] ?? 'idle';
      if (claimError(this.ctl, cpu)) {
        this.mainError = this.errorAt(cpu, 'timeout', `CPU ${cpu} was still in ${phase} ${this.o.stopGraceMs} ms after the run was stopped; its worker was terminated`);
      }
      const worker = threads.find((w) => w.threadId === region[W_THREAD]);
      this.aborts[cpu]!.abort();
      this.endRegion(cpu);
      // Dead only once the thread is gone (terminate is asynchronous): marking
      // it earlier would let another CPU take over a lock the killed CPU still
      // holds while it is inside the critical section.
      const gone = worker ? exitOf(worker) : Promise.resolve();
      this.killing.push(gone.then(() => this.domains.forEach((d) => d.markDead(cpu))));
    });
  }

  /** A CPU that ended without writing its end time ends now. */
  private endRegion(cpu: number): void {
    const region = cpuRegion(this.sab, cpu);
    if (region[W_START]! > 0 && region[W_END] === 0) {
      region[W_END] = Number(process.hrtime.bigint() - Atomics.load(this.env.clock, 0));
    }
  }

  private errorAt(cpu: number, kind: RunError['kind'], message: string): RunError {
    const r = readCpuResult(cpuRegion(this.sab, cpu), cpu);
    const inEvents = r.phase === 'run' || r.phase === 'warmup';
    const events = cpuRegion(this.sab, cpu)[W_EVENTS]!;
    return { cpu, iteration: inEvents ? events : -1, message, kind, phase: r.phase };
  }

  private result(series: SamplePoint[] | undefined, agent: SweepReport | undefined): RunResult {
    const cpus = this.outcomes.map((out, cpu) => {
      const r = readCpuResult(cpuRegion(this.sab, cpu), cpu);
      if (out.result?.teardown !== undefined) r.teardown = out.result.teardown;
      return r;
    });
    const { total, elapsedNs } = totalOf(cpus);
    const result: RunResult = { cpus, total, elapsedNs };
    const errCpu = errorCpu(this.ctl);
    if (errCpu >= 0) result.error = this.mainError?.cpu === errCpu ? this.mainError : this.threwError(errCpu);
    if (series) result.series = series;
    if (agent) result.agent = agent;
    return result;
  }

  private threwError(cpu: number): RunError {
    const e = this.outcomes[cpu]?.result?.error;
    if (!e) return { cpu, iteration: -1, message: `CPU ${cpu} failed without a report`, kind: 'died', phase: 'idle' };
    const err: RunError = { cpu, iteration: e.iteration, message: e.message, kind: 'threw', phase: e.phase };
    if (e.stack !== undefined) err.stack = e.stack;
    return err;
  }
}

/** The machine's domain first, then every other domain a run's map belongs to: a CPU passes quiescent points in all. */
function domainsOf(machine: QuiescenceDomain, o: ValidRunOptions): QuiescenceDomain[] {
  const byId = new Map<string, QuiescenceDomain>([[machine.id, machine]]);
  for (const h of Object.values(o.maps)) {
    const d = QuiescenceDomain.attach(h.domain);
    if (!byId.has(d.id)) byId.set(d.id, d);
  }
  return [...byId.values()];
}

function exitOf(worker: Worker): Promise<void> {
  if (worker.threadId === -1) return Promise.resolve();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return bounded(exited, 10_000, `terminating worker ${worker.threadId}`).catch(() => undefined);
}
