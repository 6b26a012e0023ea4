import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { Int, Nullable, Strict, problems } from '../../report/validate.js';
import type { ScenarioKind } from './kind.js';
import { STRATEGY_IDS, type StrategyId, defaultStrategies, strategiesFor } from './strategy-ids.js';

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
 * advance). hash_resize maps start with maxEntries `initial`, with no
 * ceiling (sizing.worstCase is only the reference a HASH is sized for); the
 * agent multiplies the bound by `factor` whenever the entries pass
 * `raiseAt` of it, looking every `everyMs`.
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
  /** hash_resize's bound raised at runtime by the agent, from `initial`, with no ceiling (null: the bound is sizing.worstCase). */
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

// ---- the file's schema (TypeBox: published as schemas/scenario.schema.json) ----

const MAX_TICKS = 1_000_000;
const MAX_ENTRIES = 2 ** 26;

/** What a scenario file may leave out: filled in by validateScenario, and given as defaults in the published schema. */
const DEFAULTS = {
  description: '',
  overflow: 1024,
  driver: 'deferred',
  growAt: 0.75,
  shrinkAt: 0.3,
  retries: 64,
  sampleEveryMs: 10,
  boundEveryMs: 1,
} as const;

/** A union of string constants, as a JSON Schema anyOf of consts (TypeBox's messages list them). */
const OneOf = <T extends string>(values: readonly T[], options: { default?: T } = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );
/** Every property optional (a phase's overrides of the flow shape). */
const AllOptional = <T extends TProperties>(properties: T) => Strict(Type.Partial(Type.Object(properties)).properties);

const NAME = Type.String({ minLength: 1 });
const FRACTION = Type.Number({ minimum: 0, maximum: 1 });
/** In (0, 1]: a watermark, a share of the bound. */
const SHARE = Type.Number({ exclusiveMinimum: 0, maximum: 1 });

const packetsProps = {
  min: Int({ minimum: 1, maximum: 1_000_000 }),
  alpha: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
  max: Int({ minimum: 1, maximum: 1_000_000 }),
};
const intervalProps = { min: Int({ minimum: 1, maximum: 10_000 }), max: Int({ minimum: 1, maximum: 10_000 }) };

const phaseSchema = Strict({
  name: NAME,
  ticks: Int({ minimum: 1, maximum: MAX_TICKS }),
  newFlowsPerTick: Type.Number({ minimum: 0, maximum: 1_000_000 }),
  flows: Type.Optional(
    Strict({
      packets: Type.Optional(AllOptional(packetsProps)),
      intervalTicks: Type.Optional(AllOptional(intervalProps)),
      closeFraction: Type.Optional(FRACTION),
    }),
  ),
});

/**
 * A scenario file, as JSON Schema. It checks each field on its own; what
 * ties fields together (worstCase >= normal, a conntrack scenario's
 * collector, the burst phase among the phases, ...) validateScenario checks
 * after it.
 */
export const scenarioFileSchema = Strict({
  name: NAME,
  description: Type.Optional(Type.String({ default: DEFAULTS.description })),
  kind: OneOf<ScenarioKind>(['conntrack', 'sockmap']),
  seed: Int({ minimum: 0, maximum: 0xffffffff }),
  flows: Strict({ packets: Strict(packetsProps), intervalTicks: Strict(intervalProps), closeFraction: FRACTION }),
  phases: Type.Array(phaseSchema, { minItems: 1 }),
  burstPhase: Type.Optional(NAME),
  sizing: Strict({
    normal: Int({ minimum: 1, maximum: MAX_ENTRIES }),
    worstCase: Int({ minimum: 1, maximum: MAX_ENTRIES }),
    overflow: Type.Optional(Int({ minimum: 1, maximum: MAX_ENTRIES, default: DEFAULTS.overflow })),
  }),
  resize: Type.Optional(
    Strict({
      driver: Type.Optional(OneOf<ResizeTuning['driver']>(['deferred', 'inline', 'help'], { default: DEFAULTS.driver })),
      growAt: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: DEFAULTS.growAt })),
      shrinkAt: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: DEFAULTS.shrinkAt })),
      retries: Type.Optional(Int({ minimum: 1, maximum: 1_000_000, default: DEFAULTS.retries })),
    }),
  ),
  gc: Type.Optional(Nullable(Strict({ idleTimeoutTicks: Int({ minimum: 1, maximum: MAX_TICKS }), everyTicks: Int({ minimum: 1, maximum: MAX_TICKS }) }))),
  strategies: Type.Optional(Type.Array(OneOf(STRATEGY_IDS), { minItems: 1, uniqueItems: true })),
  sampleEveryMs: Type.Optional(Type.Number({ minimum: 1, maximum: 60_000, default: DEFAULTS.sampleEveryMs })),
  bound: Type.Optional(
    Nullable(
      Strict({
        initial: Int({ minimum: 1, maximum: MAX_ENTRIES }),
        raiseAt: SHARE,
        factor: Type.Number({ exclusiveMinimum: 1, maximum: 1024 }),
        everyMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 60_000, default: DEFAULTS.boundEveryMs })),
      }),
    ),
  ),
  walk: Type.Optional(
    Nullable(
      Strict({
        markers: Int({ minimum: 1, maximum: 1_000_000 }),
        modes: Type.Array(OneOf<WalkSpec['modes'][number]>(['stable', 'best-effort']), { minItems: 1 }),
      }),
    ),
  ),
});

type ScenarioFile = Static<typeof scenarioFileSchema>;

// ---- validation: every failure names the field ----

/** The defined properties of `o` among `keys`, in that order (a partial override as the report shows it). */
function present<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** A phase as the scenario keeps it: its overrides only where the file gives them. */
function phaseOf(p: ScenarioFile['phases'][number]): PhaseSpec {
  const out: PhaseSpec = { name: p.name, ticks: p.ticks, newFlowsPerTick: p.newFlowsPerTick };
  if (p.flows !== undefined) {
    const f = p.flows;
    const flows: NonNullable<PhaseSpec['flows']> = {};
    if (f.packets !== undefined) flows.packets = present(f.packets, ['min', 'alpha', 'max']);
    if (f.intervalTicks !== undefined) flows.intervalTicks = present(f.intervalTicks, ['min', 'max']);
    if (f.closeFraction !== undefined) flows.closeFraction = f.closeFraction;
    out.flows = flows;
  }
  return out;
}

/**
 * Checks a scenario (parsed JSON) and fills in its defaults; `input` itself
 * is left as it was. A bad field throws a TypeError (a wrong type, a missing
 * or unknown field) or a RangeError (a value out of bounds, fields that
 * disagree) naming it (`scenario.phases[1].ticks ...`); several bad fields
 * are named in one message.
 */
export function validateScenario(input: unknown): Scenario {
  const found = problems(scenarioFileSchema, input, 'scenario');
  if (found.length > 0) {
    const Ctor = found[0]!.outOfBounds ? RangeError : TypeError;
    throw new Ctor(found.map((p) => p.message).join('; '));
  }
  const o = input as ScenarioFile;
  const kind = o.kind;
  const flows: FlowShape = {
    packets: { min: o.flows.packets.min, alpha: o.flows.packets.alpha, max: o.flows.packets.max },
    intervalTicks: { min: o.flows.intervalTicks.min, max: o.flows.intervalTicks.max },
    closeFraction: o.flows.closeFraction,
  };
  const phases = o.phases.map(phaseOf);
  const names = new Set<string>();
  for (const [i, p] of phases.entries()) {
    if (names.has(p.name)) throw new RangeError(`scenario.phases[${i}].name ${JSON.stringify(p.name)} is used twice (phases are named in the report)`);
    names.add(p.name);
  }

  const sizing: Sizing = { normal: o.sizing.normal, worstCase: o.sizing.worstCase, overflow: o.sizing.overflow ?? DEFAULTS.overflow };
  if (sizing.worstCase < sizing.normal) throw new RangeError(`scenario.sizing.worstCase (${sizing.worstCase}) must be >= scenario.sizing.normal (${sizing.normal})`);

  const rz = o.resize ?? {};
  const resize: ResizeTuning = {
    driver: rz.driver ?? DEFAULTS.driver,
    growAt: rz.growAt ?? DEFAULTS.growAt,
    shrinkAt: rz.shrinkAt ?? DEFAULTS.shrinkAt,
    retries: rz.retries ?? DEFAULTS.retries,
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
    if (o.gc === undefined || o.gc === null) throw new TypeError(`scenario.gc: ${o.gc === null ? 'null' : 'missing'}, but a conntrack scenario needs its collector (idleTimeoutTicks, everyTicks)`);
    gc = { idleTimeoutTicks: o.gc.idleTimeoutTicks, everyTicks: o.gc.everyTicks };
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
    burstPhase = o.burstPhase;
    if (!names.has(burstPhase)) throw new RangeError(`scenario.burstPhase ${JSON.stringify(burstPhase)} is not one of the phases (${[...names].join(', ')})`);
  }

  let strategies: StrategyId[];
  if (o.strategies === undefined) strategies = defaultStrategies(kind);
  else {
    const allowed = strategiesFor(kind);
    strategies = o.strategies.map((id, i) => {
      if (!allowed.includes(id)) throw new RangeError(`scenario.strategies[${i}]: ${id} does not apply to a ${kind} scenario (applies: ${allowed.join(', ')})`);
      return id;
    });
  }

  let bound: RuntimeBound | null = null;
  if (o.bound !== undefined && o.bound !== null) {
    const b = o.bound;
    if (b.initial > sizing.worstCase)
      throw new RangeError(`scenario.bound.initial (${b.initial}) must be <= scenario.sizing.worstCase (${sizing.worstCase}): the bound starts at most at the worst case`);
    bound = { initial: b.initial, raiseAt: b.raiseAt, factor: b.factor, everyMs: b.everyMs ?? DEFAULTS.boundEveryMs };
  }
  let walk: WalkSpec | null = null;
  if (o.walk !== undefined && o.walk !== null) walk = { markers: o.walk.markers, modes: [...o.walk.modes] };

  return {
    name: o.name,
    description: o.description ?? DEFAULTS.description,
    kind,
    seed: o.seed,
    flows,
    phases,
    burstPhase,
    sizing,
    resize,
    gc,
    strategies,
    sampleEveryMs: o.sampleEveryMs ?? DEFAULTS.sampleEveryMs,
    bound,
    walk,
  };
}
