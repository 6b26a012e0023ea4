import type { BpfMap } from '@rightsize/engine';
import type { Agent, Machine } from '@rightsize/workers';
import { MachinePool } from '../harness/machines.js';
import { measureOnce, type Repetition } from '../harness/measure.js';
import type { Progress } from '../harness/progress.js';
import { ContinuousResize } from '../harness/resize-driver.js';
import type { Cell } from '../report/bench-result.js';
import { formatRate } from '../report/format.js';
import { cellId, type CellPlan, type GroupPlan } from './plan.js';
import type { SuiteOptions } from './options.js';

/** How long a map may take to finish a resize before its group is closed. */
const SETTLE_MS = 30_000;

/** Numbers from a map's stats(), to take differences over a repetition. */
function numericStats(map: BpfMap): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(map.stats())) if (typeof v === 'number') out[k] = v;
  return out;
}

/** A map whose resize never finished (its resizer died, say): the group's remaining cells cannot run on it. */
export class MapStuckError extends Error {}

/** Waits (bounded) until a hash_resize map has no resize under way. */
export async function settle(map: BpfMap, boundMs = SETTLE_MS): Promise<void> {
  const deadline = performance.now() + boundMs;
  while (map.stats().state === 'resizing') {
    if (performance.now() > deadline) throw new MapStuckError(`map ${map.spec.type} still resizing after ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Every machine's agent, with the names of the maps attached to it. */
class Agents {
  private readonly attached = new Map<Machine, Set<string>>();

  async attach(machine: Machine, name: string, map: BpfMap): Promise<Agent> {
    const agent = await machine.agent();
    let names = this.attached.get(machine);
    if (!names) this.attached.set(machine, (names = new Set()));
    if (!names.has(name)) {
      await agent.attach(name, map);
      names.add(name);
    }
    return agent;
  }

  async detachAll(name: string): Promise<void> {
    for (const [machine, names] of this.attached) {
      if (!names.delete(name)) continue;
      await (await machine.agent()).detach(name);
    }
  }
}

interface LiveCell {
  plan: CellPlan;
  cell: Cell;
}

/**
 * Runs a suite's groups: each group's map is made once, then its cells are
 * measured repetition by repetition, interleaved (every cell's first
 * repetition, then every cell's second, ...), so that a slow moment of a
 * shared machine spreads over the cells instead of sinking one of them.
 */
export async function runGroups(groups: GroupPlan[], o: SuiteOptions, progress: Progress): Promise<Cell[]> {
  const machines = new MachinePool();
  const agents = new Agents();
  const cells: Cell[] = [];
  try {
    for (const [gi, group] of groups.entries()) {
      const live: LiveCell[] = group.cells.map((plan) => ({
        plan,
        cell: { id: cellId(plan.subject, plan.params), subject: plan.subject, role: plan.role, params: plan.params, repetitions: [], summary: null, ratios: {}, notes: {} },
      }));
      cells.push(...live.map((l) => l.cell));
      let env;
      try {
        env = await group.open();
      } catch (err) {
        const msg = `setting up ${group.label}: ${(err as Error).message}`;
        for (const l of live) {
          l.cell.error = msg;
          for (let r = 0; r < o.repetitions; r++) progress.tick(`${l.cell.id}: skipped`);
        }
        progress.log(`error: ${msg}`);
        continue;
      }
      const agentName = `m${gi}`;
      try {
        for (let rep = 0; rep < o.repetitions; rep++) {
          for (const l of live) {
            if (l.cell.error !== undefined) {
              progress.tick(`${l.cell.id}: skipped`);
              continue;
            }
            try {
              const r = await measureCell(l.plan, env.maps, machines, agents, agentName, o);
              l.cell.repetitions.push(r);
              progress.tick(`${l.cell.id} #${rep + 1}: ${formatRate(r.opsPerSec)} ops/s`);
            } catch (err) {
              l.cell.error = (err as Error).message;
              progress.log(`error in ${l.cell.id}: ${l.cell.error}`);
              progress.tick(`${l.cell.id}: failed`);
              // A stuck map fails every cell still to run on it, at once rather than one bound each.
              if (err instanceof MapStuckError) for (const other of live) other.cell.error ??= `not run: ${l.cell.error}`;
            }
          }
        }
        const m = env.maps.m;
        if (m) {
          try {
            await settle(m);
            const stats = m.stats();
            for (const l of live) l.cell.mapStats = JSON.parse(JSON.stringify(stats)) as Record<string, unknown>;
          } catch (err) {
            progress.log(`error: ${group.label}: ${(err as Error).message}`);
            for (const l of live) l.cell.error ??= `after its repetitions: ${(err as Error).message}`;
          }
        }
      } finally {
        await agents.detachAll(agentName).catch(() => undefined);
        await env.close();
      }
    }
  } finally {
    await machines.close();
  }
  return cells;
}

async function measureCell(plan: CellPlan, maps: Record<string, BpfMap>, machines: MachinePool, agents: Agents, agentName: string, o: SuiteOptions): Promise<Repetition> {
  const machine = await machines.get(plan.cpus);
  const spec = {
    program: plan.program,
    maps,
    params: plan.loop,
    durationMs: o.durationMs,
    warmupOps: o.warmupOps,
    latencySampleEvery: plan.latencySampleEvery ?? 0,
  };
  if (!plan.resizing) return measureOnce(machine, spec);
  const map = maps.m;
  if (!map) throw new Error('a resizing cell needs its group to have a map named "m"');
  await settle(map);
  const agent = await agents.attach(machine, agentName, map);
  const before = numericStats(map);
  const t0 = process.hrtime.bigint();
  const driver = new ContinuousResize(agent, agentName);
  driver.start();
  // The driver is stopped whatever the run did, before its outcome is looked at.
  const outcome = await measureOnce(machine, spec).then(
    (rep) => ({ rep }),
    (err: unknown) => ({ err }),
  );
  const asked = await driver.stop();
  const wallNs = Number(process.hrtime.bigint() - t0);
  if ('err' in outcome) throw outcome.err;
  const after = numericStats(map);
  // The map's own counters over the whole repetition (setup and warm-up
  // included, hence the wall time beside them): resizes completed, time
  // spent resizing, the retry policy's waits.
  const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
  outcome.rep.extra = {
    wallNs,
    askedGrows: asked.grows,
    askedShrinks: asked.shrinks,
    askedBusy: asked.busy,
    grows: delta('grows'),
    shrinks: delta('shrinks'),
    resizeNs: delta('resizeNs'),
    retries: delta('retries'),
  };
  return outcome.rep;
}
