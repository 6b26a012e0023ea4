import type { BpfMap } from '@rightsize/engine';
import type { Agent, Machine } from '@rightsize/workers';
import { MachinePool } from '../harness/machines.js';
import { measureOnce, type Repetition } from '../harness/measure.js';
import type { Progress } from '../harness/progress.js';
import { ContinuousResize } from '../harness/resize-driver.js';
import type { Cell } from '../report/bench-result.js';
import { formatRate } from '../report/format.js';
import { cellId, type CellPlan, type GroupEnv, type GroupPlan } from './plan.js';
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

/** A group being measured: its cells, and its maps once open (null: it failed to open). */
interface LiveGroup {
  plan: GroupPlan;
  agentName: string;
  live: LiveCell[];
  env: GroupEnv | null;
}

/**
 * Runs a suite's groups. Groups that share a `sideBySide` key (the
 * references and every subject at one entry count and value size: the
 * cells a ratio compares) are opened together and measured repetition by
 * repetition, interleaved across all their cells (every cell's first
 * repetition, then every cell's second, ...), so that a slow moment of a
 * shared machine spreads over the cells of both sides of a ratio instead of
 * sinking one group (on this 2-core machine, slow spells of tens of seconds
 * moved ratios between groups measured one after the other by 30 % and more).
 * A group without the key is measured alone, its own cells interleaved.
 */
export async function runGroups(groups: GroupPlan[], o: SuiteOptions, progress: Progress): Promise<Cell[]> {
  const machines = new MachinePool();
  const agents = new Agents();
  const cells: Cell[] = [];
  const rounds: LiveGroup[][] = [];
  for (const [gi, plan] of groups.entries()) {
    const live: LiveCell[] = plan.cells.map((cp) => ({
      plan: cp,
      cell: { id: cellId(cp.subject, cp.params), subject: cp.subject, role: cp.role, params: cp.params, repetitions: [], summary: null, ratios: {}, notes: {} },
    }));
    cells.push(...live.map((l) => l.cell));
    const g: LiveGroup = { plan, agentName: `m${gi}`, live, env: null };
    const last = rounds.at(-1);
    if (last !== undefined && plan.sideBySide !== undefined && last[0]!.plan.sideBySide === plan.sideBySide) last.push(g);
    else rounds.push([g]);
  }
  try {
    for (const round of rounds) await runRound(round, machines, agents, o, progress);
  } finally {
    await machines.close();
  }
  return cells;
}

async function runRound(round: LiveGroup[], machines: MachinePool, agents: Agents, o: SuiteOptions, progress: Progress): Promise<void> {
  try {
    for (const g of round) {
      try {
        g.env = await g.plan.open();
      } catch (err) {
        const msg = `setting up ${g.plan.label}: ${(err as Error).message}`;
        for (const l of g.live) {
          l.cell.error = msg;
          for (let r = 0; r < o.repetitions; r++) progress.tick(`${l.cell.id}: skipped`);
        }
        progress.log(`error: ${msg}`);
      }
    }
    for (let rep = 0; rep < o.repetitions; rep++) {
      for (const g of round) {
        if (g.env === null) continue;
        for (const l of g.live) {
          if (l.cell.error !== undefined) {
            progress.tick(`${l.cell.id}: skipped`);
            continue;
          }
          try {
            const r = await measureCell(l.plan, g.env.maps, machines, agents, g.agentName, o);
            l.cell.repetitions.push(r);
            progress.tick(`${l.cell.id} #${rep + 1}: ${formatRate(r.opsPerSec)} ops/s`);
          } catch (err) {
            l.cell.error = (err as Error).message;
            progress.log(`error in ${l.cell.id}: ${l.cell.error}`);
            progress.tick(`${l.cell.id}: failed`);
            // A stuck map fails every cell still to run on it, at once rather than one bound each.
            if (err instanceof MapStuckError) for (const other of g.live) other.cell.error ??= `not run: ${l.cell.error}`;
          }
        }
      }
    }
    for (const g of round) {
      const m = g.env?.maps.m;
      if (!m) continue;
      try {
        await settle(m);
        const stats = m.stats();
        for (const l of g.live) l.cell.mapStats = JSON.parse(JSON.stringify(stats)) as Record<string, unknown>;
      } catch (err) {
        progress.log(`error: ${g.plan.label}: ${(err as Error).message}`);
        for (const l of g.live) l.cell.error ??= `after its repetitions: ${(err as Error).message}`;
      }
    }
  } finally {
    for (const g of round) {
      await agents.detachAll(g.agentName).catch(() => undefined);
      await g.env?.close();
    }
  }
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
  // A resize still under way goes on in the resizer thread: let it end
  // before the next cell (of any group) is measured beside it.
  await settle(map);
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
