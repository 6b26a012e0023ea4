import { threadId } from 'node:worker_threads';
import { QuiescenceDomain, attachMap, enterCpu, exitCpu, setDefaultDomain, type BpfMap } from '@rightsize/engine';
import { arriveAndWait } from './barrier.js';
import { CpuContext } from './context.js';
import { isProgram, type Program } from './program.js';
import {
  C_STOP,
  P_BARRIER,
  P_DONE,
  P_LOAD,
  P_RUN,
  P_SETUP,
  P_TEARDOWN,
  P_WARMUP,
  PHASES,
  W_END,
  W_EVENTS,
  W_PHASE,
  W_SETUP_DONE,
  W_START,
  W_THREAD,
  claimError,
  controlWords,
  cpuRegion,
  epochOf,
  stopRun,
  type Phase,
} from './run-buffer.js';
import type { CpuTask, CpuTaskError, CpuTaskResult } from './task.js';

type AnyProgram = Program<unknown, unknown>;

/**
 * The piscina task: one CPU for one run.
 *
 * Order matters: the worker adopts the machine's quiescence domain before it
 * attaches maps (a map attached here finds its domain object already made),
 * becomes CPU `cpu` and goes online before setup (setup may already use the
 * maps as that CPU), is offline while it waits at the barrier (it holds no map
 * memory there, so it does not hold back a grace period while another CPU's
 * setup is slow), and goes offline and back to userspace at the end, also
 * when the program threw.
 */
export default async function cpuTask(task: CpuTask): Promise<CpuTaskResult> {
  const { cpu } = task;
  const ctl = controlWords(task.run);
  const region = cpuRegion(task.run, cpu);
  const epoch = epochOf(task.run);
  const nowNs = (): number => Number(process.hrtime.bigint() - epoch);
  region[W_THREAD] = threadId;

  const domains = task.domains.map((sab) => QuiescenceDomain.attach(sab));
  setDefaultDomain(domains[0]!);
  enterCpu(cpu);
  for (const d of domains) d.cpuOnline(cpu);

  const attached: BpfMap[] = [];
  const result: CpuTaskResult = { cpu, barrier: 'not-reached' };
  let phase = P_LOAD;
  let program: AnyProgram | undefined;
  let ctx: CpuContext<unknown> | undefined;
  let state: unknown;
  try {
    try {
      region[W_PHASE] = P_LOAD;
      program = await loadProgram(task.program);
      phase = region[W_PHASE] = P_SETUP;
      const maps: Record<string, BpfMap> = {};
      for (const [name, handle] of Object.entries(task.maps)) {
        const m = attachMap(handle);
        attached.push(m);
        maps[name] = m;
      }
      ctx = new CpuContext({
        cpu,
        nCpus: task.nCpus,
        params: task.params,
        maps,
        region,
        control: ctl,
        epoch,
        latencySampleEvery: task.latencySampleEvery,
      });
      state = program.setup ? await program.setup(ctx) : undefined;
      if (task.warmupIterations > 0) {
        phase = region[W_PHASE] = P_WARMUP;
        runEvents(program, ctx, state, task.warmupIterations, 0, ctl, region, domains, cpu);
      }
      ctx.resetCounters();
      region[W_EVENTS] = 0;
      phase = region[W_PHASE] = P_BARRIER;
      region[W_SETUP_DONE] = nowNs();
      for (const d of domains) d.cpuOffline(cpu);
      result.barrier = arriveAndWait(ctl, task.nCpus, task.setupTimeoutMs);
      if (result.barrier === 'timeout') result.late = lateCpus(task.run, task.nCpus);
      for (const d of domains) d.cpuOnline(cpu);
      region[W_START] = nowNs();
      if (result.barrier === 'open') {
        phase = region[W_PHASE] = P_RUN;
        runEvents(program, ctx, state, task.iterations, task.durationMs, ctl, region, domains, cpu);
      } else {
        // The run was called off before it started (another CPU failed, or the
        // barrier timed out): make sure every CPU hears of it.
        stopRun(ctl);
      }
      region[W_END] = nowNs();
    } catch (err) {
      if (phase === P_RUN) region[W_END] = nowNs();
      result.error = describeError(err, phase, region);
      claimError(ctl, cpu);
      stopRun(ctl);
    }
    // Teardown runs on every CPU whose setup completed and whose own program
    // did not throw, also when the run ended because of another CPU.
    if (program?.teardown && ctx && !result.error && phase >= P_BARRIER) {
      phase = region[W_PHASE] = P_TEARDOWN;
      try {
        const value = await program.teardown(ctx, state);
        if (value !== undefined) result.teardown = cloneable(value);
      } catch (err) {
        result.error = describeError(err, phase, region);
        claimError(ctl, cpu);
        stopRun(ctl);
      }
    }
  } finally {
    for (const m of attached) m.close();
    for (const d of domains) d.cpuOffline(cpu);
    exitCpu();
    region[W_PHASE] = P_DONE;
  }
  return result;
}

/** The CPUs that had not reached the barrier (read when this CPU gave up waiting for them). */
function lateCpus(run: SharedArrayBuffer, nCpus: number): { cpu: number; phase: Phase }[] {
  const late: { cpu: number; phase: Phase }[] = [];
  for (let c = 0; c < nCpus; c++) {
    const p = cpuRegion(run, c)[W_PHASE]!;
    if (p < P_BARRIER) late.push({ cpu: c, phase: PHASES[p]! });
  }
  return late;
}

async function loadProgram(url: string): Promise<AnyProgram> {
  const mod = (await import(url)) as { default?: unknown };
  if (!isProgram(mod.default)) {
    throw new TypeError(`${url}: the default export is not a program (export default defineProgram({ setup, run, teardown }))`);
  }
  return mod.default;
}

/**
 * The event loop of a CPU. STOP is read with Atomics.load before every event
 * (a plain read could legally be hoisted out of the loop). The quiescent
 * point after each event tells the domain this CPU holds nothing from it.
 * With a duration, the clock is read once per batch of events, the batch
 * sized so that a read happens about every 20 µs: a run ends within a few µs
 * of its deadline and the clock costs almost nothing per event.
 */
function runEvents(
  program: AnyProgram,
  ctx: CpuContext<unknown>,
  state: unknown,
  limit: number,
  durationMs: number,
  ctl: Int32Array,
  region: Float64Array,
  domains: QuiescenceDomain[],
  cpu: number,
): void {
  const d0 = domains[0]!;
  const nd = domains.length;
  const timed = durationMs > 0;
  let last = performance.now();
  const deadline = last + durationMs;
  let batch = 1;
  let untilCheck = 1;
  for (let i = 0; i < limit; i++) {
    if (Atomics.load(ctl, C_STOP) !== 0) return;
    program.run(ctx, state, i);
    region[W_EVENTS] = i + 1;
    d0.cpuQuiescent(cpu);
    for (let d = 1; d < nd; d++) domains[d]!.cpuQuiescent(cpu);
    if (timed && --untilCheck === 0) {
      const now = performance.now();
      if (now >= deadline) return;
      batch = now - last < 0.02 ? Math.min(batch * 2, 65536) : Math.max(batch >> 1, 1);
      last = now;
      untilCheck = batch;
    }
  }
}

function describeError(err: unknown, phase: number, region: Float64Array): CpuTaskError {
  const inEvents = phase === P_RUN || phase === P_WARMUP;
  const e: CpuTaskError = {
    phase: PHASES[phase]!,
    iteration: inEvents ? region[W_EVENTS]! : -1,
    message: err instanceof Error ? err.message : String(err),
  };
  if (err instanceof Error && err.stack !== undefined) e.stack = err.stack;
  return e;
}

/** The teardown value must cross to the main thread; a clear error instead of a failed task. */
function cloneable(value: unknown): unknown {
  try {
    structuredClone(value);
  } catch (err) {
    throw new TypeError(`teardown returned a value that cannot be sent to the main thread (structured clone): ${(err as Error).message}`);
  }
  return value;
}
