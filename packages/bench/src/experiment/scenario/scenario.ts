import { describeValue as describe, requireInt } from '@rightsize/engine';
import type { ScenarioKind } from './kind.js';
import { STRATEGY_IDS, type StrategyId, defaultStrategies, strategiesFor } from '../scenario/strategy-ids.js';

/** How flows look: packet counts, the gap between two packets of a flow, how many end with a close. */
export interface FlowShape {
  /** Packets per flow: Pareto(min, alpha), capped at max (heavy tailed: most flows short, a few very long). */
  packets: { min: number; alpha: number; max: number };
  /** A flow sends one packet every k ticks, k uniform in [min, max] per flow. */
  intervalTicks: { min: number; max: number };
  /** Fraction of flows whose last packet is a close (FIN/RST): deleted by the datapath. The others just stop and wait for the GC. */
  closeFraction: number;
}

export interface PhaseSpec {
  name: string;
  /** Length of the phase in ticks. */
  ticks: number;
  /** New flows per tick, summed over CPUs (each CPU gets an equal share). */
  newFlowsPerTick: number;
  /** Overrides of the scenario's flow shape for flows that start in this phase. */
  flows?: Partial<{ packets: Partial<FlowShape['packets']>; intervalTicks: Partial<FlowShape['intervalTicks']>; closeFraction: number }>;
}

export interface Sizing {
  /** maxEntries of the maps "sized for the normal load" (hash, lru_hash). */
  normal: number;
  /** maxEntries of the map "sized for the worst case", and hash_resize's bound. */
  worstCase: number;
  /** maxEntries of the overflow LRU of the recovery strategy. */
  overflow: number;
}

export interface ResizeTuning {
  driver: 'deferred' | 'inline' | 'help';
  growAt: number;
  shrinkAt: number;
  /** Bounded retries per operation under the 'retry' policy. */
  retries: number;
}

export interface GcSpec {
  /** An entry whose flow sent nothing for more than this many ticks is expired (must be >= every flow's interval: see EXPERIMENT.md). */
  idleTimeoutTicks: number;
  /**
   * The collector sweeps once every this many ticks of workload time. A CPU
   * that gets two periods ahead of the last sweep waits for the next one, so
   * the collector's pace is the workload's, not the machine's.
   */
  everyTicks: number;
}

/**
 * A bound raised at runtime (the tracing case: no good bound known in
 * advance). hash_resize maps start with maxEntries `initial` and may go up
 * to sizing.worstCase (their maxEntriesCeiling); the agent multiplies the
 * bound by `factor` whenever the entries pass `raiseAt` of it, looking every
 * `everyMs`.
 */
export interface RuntimeBound {
  initial: number;
  raiseAt: number;
  factor: number;
  everyMs: number;
}

/**
 * The agent walks hash_resize maps while the CPUs update them: `markers`
 * keys are inserted before the run and never deleted (present for every
 * walk), and walks of each mode in `modes` alternate (stable: scan();
 * best-effort: getNextKey).
 */
export interface WalkSpec {
  markers: number;
  modes: ('stable' | 'best-effort')[];
}

/**
 * A scenario: the workload (phases of new flows, flow shapes, seed), the
 * sizes each strategy is given, and the garbage collector. Time is virtual:
 * the workload is a sequence of ticks, each holding the packets that flows
 * send in it, so a scenario gives the same packets in the same order on
 * every run whatever the machine's speed.
 */
export interface Scenario {
  name: string;
  description: string;
  kind: ScenarioKind;
  seed: number;
  flows: FlowShape;
  phases: PhaseSpec[];
  /** The phase the summary calls "the burst" (default: the one with the most new flows per tick). */
  burstPhase: string;
  sizing: Sizing;
  resize: ResizeTuning;
  /** conntrack only: the agent's garbage collector. */
  gc: GcSpec | null;
  strategies: StrategyId[];
  /** How often the agent samples map stats (wall clock). */
  sampleEveryMs: number;
  /** hash_resize's bound raised at runtime by the agent (null: the bound is sizing.worstCase). */
  bound: RuntimeBound | null;
  /** The agent walks the hash_resize maps during the run (null: no walks). */
  walk: WalkSpec | null;
}

/** A phase with its flow shape resolved and its place on the tick axis. */
export interface ResolvedPhase {
  name: string;
  startTick: number;
  endTick: number;
  newFlowsPerTick: number;
  flows: FlowShape;
}

/** The phases of a scenario on the tick axis, each with its full flow shape. */
export function resolvePhases(s: Scenario): ResolvedPhase[] {
  let t = 0;
  return s.phases.map((p) => {
    const o = p.flows ?? {};
    const flows: FlowShape = {
      packets: { ...s.flows.packets, ...o.packets },
      intervalTicks: { ...s.flows.intervalTicks, ...o.intervalTicks },
      closeFraction: o.closeFraction ?? s.flows.closeFraction,
    };
    const r = { name: p.name, startTick: t, endTick: t + p.ticks, newFlowsPerTick: p.newFlowsPerTick, flows };
    t += p.ticks;
    return r;
  });
}

// ---- validation: every failure names the field ----

type Obj = Record<string, unknown>;

function obj(field: string, v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TypeError(`${field} must be an object, got ${describe(v)}`);
  return v as Obj;
}

function onlyKeys(field: string, o: Obj, allowed: string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new TypeError(`${field}.${k} is not a known field (known: ${allowed.join(', ')})`);
  }
}

function num(field: string, v: unknown, min: number, max: number, minOpen = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${field} must be a finite number, got ${describe(v)}`);
  if (v < min || v > max || (minOpen && v === min)) throw new RangeError(`${field} must be in ${minOpen ? '(' : '['}${min}, ${max}], got ${v}`);
  return v;
}

function str(field: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new TypeError(`${field} must be a non-empty string, got ${describe(v)}`);
  return v;
}

function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new TypeError(`${field} must be one of ${allowed.join(', ')}; got ${describe(v)}`);
  return v as T;
}

const MAX_TICKS = 1_000_000;
const MAX_ENTRIES = 2 ** 26;

function packetsShape(field: string, v: unknown, partial: boolean): Partial<FlowShape['packets']> {
  const o = obj(field, v);
  onlyKeys(field, o, ['min', 'alpha', 'max']);
  const out: Partial<FlowShape['packets']> = {};
  if (o.min !== undefined || !partial) out.min = requireInt(`${field}.min`, o.min, 1, 1_000_000);
  if (o.alpha !== undefined || !partial) out.alpha = num(`${field}.alpha`, o.alpha, 0, 100, true);
  if (o.max !== undefined || !partial) out.max = requireInt(`${field}.max`, o.max, 1, 1_000_000);
  return out;
}

function intervalShape(field: string, v: unknown, partial: boolean): Partial<FlowShape['intervalTicks']> {
  const o = obj(field, v);
  onlyKeys(field, o, ['min', 'max']);
  const out: Partial<FlowShape['intervalTicks']> = {};
  if (o.min !== undefined || !partial) out.min = requireInt(`${field}.min`, o.min, 1, 10_000);
  if (o.max !== undefined || !partial) out.max = requireInt(`${field}.max`, o.max, 1, 10_000);
  return out;
}

function flowShape(field: string, v: unknown): FlowShape {
  const o = obj(field, v);
  onlyKeys(field, o, ['packets', 'intervalTicks', 'closeFraction']);
  return {
    packets: packetsShape(`${field}.packets`, o.packets, false) as FlowShape['packets'],
    intervalTicks: intervalShape(`${field}.intervalTicks`, o.intervalTicks, false) as FlowShape['intervalTicks'],
    closeFraction: num(`${field}.closeFraction`, o.closeFraction, 0, 1),
  };
}

function phase(field: string, v: unknown): PhaseSpec {
  const o = obj(field, v);
  onlyKeys(field, o, ['name', 'ticks', 'newFlowsPerTick', 'flows']);
  const p: PhaseSpec = {
    name: str(`${field}.name`, o.name),
    ticks: requireInt(`${field}.ticks`, o.ticks, 1, MAX_TICKS),
    newFlowsPerTick: num(`${field}.newFlowsPerTick`, o.newFlowsPerTick, 0, 1_000_000),
  };
  if (o.flows !== undefined) {
    const f = obj(`${field}.flows`, o.flows);
    onlyKeys(`${field}.flows`, f, ['packets', 'intervalTicks', 'closeFraction']);
    const flows: NonNullable<PhaseSpec['flows']> = {};
    if (f.packets !== undefined) flows.packets = packetsShape(`${field}.flows.packets`, f.packets, true);
    if (f.intervalTicks !== undefined) flows.intervalTicks = intervalShape(`${field}.flows.intervalTicks`, f.intervalTicks, true);
    if (f.closeFraction !== undefined) flows.closeFraction = num(`${field}.flows.closeFraction`, f.closeFraction, 0, 1);
    p.flows = flows;
  }
  return p;
}

/**
 * Checks a scenario (parsed JSON) and fills in its defaults. A bad field
 * throws a TypeError or RangeError naming it (`scenario.phases[1].ticks ...`).
 */
export function validateScenario(input: unknown): Scenario {
  const o = obj('scenario', input);
  onlyKeys('scenario', o, ['name', 'description', 'kind', 'seed', 'flows', 'phases', 'burstPhase', 'sizing', 'resize', 'gc', 'strategies', 'sampleEveryMs', 'bound', 'walk']);
  const kind = oneOf('scenario.kind', o.kind, ['conntrack', 'sockmap'] as const);
  const flows = flowShape('scenario.flows', o.flows);
  if (!Array.isArray(o.phases) || o.phases.length === 0) throw new TypeError('scenario.phases must be a non-empty array of phases');
  const phases = o.phases.map((p, i) => phase(`scenario.phases[${i}]`, p));
  const names = new Set<string>();
  for (const [i, p] of phases.entries()) {
    if (names.has(p.name)) throw new RangeError(`scenario.phases[${i}].name ${JSON.stringify(p.name)} is used twice (phases are named in the report)`);
    names.add(p.name);
  }

  const sz = obj('scenario.sizing', o.sizing);
  onlyKeys('scenario.sizing', sz, ['normal', 'worstCase', 'overflow']);
  const sizing: Sizing = {
    normal: requireInt('scenario.sizing.normal', sz.normal, 1, MAX_ENTRIES),
    worstCase: requireInt('scenario.sizing.worstCase', sz.worstCase, 1, MAX_ENTRIES),
    overflow: sz.overflow === undefined ? 1024 : requireInt('scenario.sizing.overflow', sz.overflow, 1, MAX_ENTRIES),
  };
  if (sizing.worstCase < sizing.normal) throw new RangeError(`scenario.sizing.worstCase (${sizing.worstCase}) must be >= scenario.sizing.normal (${sizing.normal})`);

  const rz = o.resize === undefined ? {} : obj('scenario.resize', o.resize);
  onlyKeys('scenario.resize', rz, ['driver', 'growAt', 'shrinkAt', 'retries']);
  const resize: ResizeTuning = {
    driver: rz.driver === undefined ? 'deferred' : oneOf('scenario.resize.driver', rz.driver, ['deferred', 'inline', 'help'] as const),
    growAt: rz.growAt === undefined ? 0.75 : num('scenario.resize.growAt', rz.growAt, 0, 1, true),
    shrinkAt: rz.shrinkAt === undefined ? 0.3 : num('scenario.resize.shrinkAt', rz.shrinkAt, 0, 1, true),
    retries: rz.retries === undefined ? 64 : requireInt('scenario.resize.retries', rz.retries, 1, 1_000_000),
  };
  if (resize.shrinkAt * 2 >= resize.growAt) throw new RangeError(`scenario.resize.shrinkAt (${resize.shrinkAt}) must be below half of scenario.resize.growAt (${resize.growAt})`);

  const resolved = resolvePhases({ flows, phases } as Scenario);
  let maxInterval = 0;
  for (const [i, p] of resolved.entries()) {
    const f = p.flows;
    const at = `scenario.phases[${i}] (${p.name})`;
    if (f.packets.max < f.packets.min) throw new RangeError(`${at}: packets.max (${f.packets.max}) must be >= packets.min (${f.packets.min})`);
    if (f.intervalTicks.max < f.intervalTicks.min) throw new RangeError(`${at}: intervalTicks.max (${f.intervalTicks.max}) must be >= intervalTicks.min (${f.intervalTicks.min})`);
    if (kind === 'sockmap' && (f.closeFraction !== 1 || f.packets.min < 2)) {
      throw new RangeError(`${at}: a sockmap scenario needs closeFraction 1 and packets.min >= 2 (every socket is removed when it closes; there is no GC)`);
    }
    maxInterval = Math.max(maxInterval, f.intervalTicks.max);
  }

  let gc: GcSpec | null = null;
  if (kind === 'conntrack') {
    const g = obj('scenario.gc', o.gc);
    onlyKeys('scenario.gc', g, ['idleTimeoutTicks', 'everyTicks']);
    gc = {
      idleTimeoutTicks: requireInt('scenario.gc.idleTimeoutTicks', g.idleTimeoutTicks, 1, MAX_TICKS),
      everyTicks: requireInt('scenario.gc.everyTicks', g.everyTicks, 1, MAX_TICKS),
    };
    // The collector's exactness rests on this: a live flow's next packet comes
    // at most maxInterval ticks after its last, so an entry idle for longer
    // than the timeout belongs to a flow that has ended (see EXPERIMENT.md).
    if (gc.idleTimeoutTicks < maxInterval) {
      throw new RangeError(`scenario.gc.idleTimeoutTicks (${gc.idleTimeoutTicks}) must be >= the longest flow interval (${maxInterval} ticks), or the collector would expire live flows`);
    }
  } else if (o.gc !== undefined && o.gc !== null) {
    throw new RangeError('scenario.gc applies to conntrack scenarios only (sockets leave a sockmap when they close)');
  }

  let burstPhase: string;
  if (o.burstPhase === undefined) {
    burstPhase = phases.reduce((a, b) => (b.newFlowsPerTick > a.newFlowsPerTick ? b : a)).name;
  } else {
    burstPhase = str('scenario.burstPhase', o.burstPhase);
    if (!names.has(burstPhase)) throw new RangeError(`scenario.burstPhase ${JSON.stringify(burstPhase)} is not one of the phases (${[...names].join(', ')})`);
  }

  let strategies: StrategyId[];
  if (o.strategies === undefined) strategies = defaultStrategies(kind);
  else {
    if (!Array.isArray(o.strategies) || o.strategies.length === 0) throw new TypeError('scenario.strategies must be a non-empty array of strategy ids');
    const allowed = strategiesFor(kind);
    strategies = o.strategies.map((v, i) => {
      const id = oneOf(`scenario.strategies[${i}]`, v, STRATEGY_IDS);
      if (!allowed.includes(id)) throw new RangeError(`scenario.strategies[${i}]: ${id} does not apply to a ${kind} scenario (applies: ${allowed.join(', ')})`);
      return id;
    });
    if (new Set(strategies).size !== strategies.length) throw new RangeError('scenario.strategies lists a strategy twice');
  }

  let bound: RuntimeBound | null = null;
  if (o.bound !== undefined && o.bound !== null) {
    const b = obj('scenario.bound', o.bound);
    onlyKeys('scenario.bound', b, ['initial', 'raiseAt', 'factor', 'everyMs']);
    bound = {
      initial: requireInt('scenario.bound.initial', b.initial, 1, sizing.worstCase),
      raiseAt: num('scenario.bound.raiseAt', b.raiseAt, 0, 1, true),
      factor: num('scenario.bound.factor', b.factor, 1, 1024, true),
      everyMs: b.everyMs === undefined ? 1 : num('scenario.bound.everyMs', b.everyMs, 0, 60_000, true),
    };
  }
  let walk: WalkSpec | null = null;
  if (o.walk !== undefined && o.walk !== null) {
    const wk = obj('scenario.walk', o.walk);
    onlyKeys('scenario.walk', wk, ['markers', 'modes']);
    if (!Array.isArray(wk.modes) || wk.modes.length === 0) throw new TypeError('scenario.walk.modes must be a non-empty array of walk modes (stable, best-effort)');
    walk = {
      markers: requireInt('scenario.walk.markers', wk.markers, 1, 1_000_000),
      modes: wk.modes.map((m, i) => oneOf(`scenario.walk.modes[${i}]`, m, ['stable', 'best-effort'] as const)),
    };
  }

  return {
    name: str('scenario.name', o.name),
    description: o.description === undefined ? '' : str('scenario.description', o.description),
    kind,
    seed: requireInt('scenario.seed', o.seed, 0, 0xffffffff),
    flows,
    phases,
    burstPhase,
    sizing,
    resize,
    gc,
    strategies,
    sampleEveryMs: o.sampleEveryMs === undefined ? 10 : num('scenario.sampleEveryMs', o.sampleEveryMs, 1, 60_000),
    bound,
    walk,
  };
}
