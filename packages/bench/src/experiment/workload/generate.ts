import { resolvePhases, type ResolvedPhase, type Scenario } from '../scenario/scenario.js';
import { MAX_FLOWS_PER_CPU } from './flow-key.js';
import { Xoshiro128 } from './prng.js';
import { KIND_CLOSE, KIND_DATA, KIND_LAST, KIND_NEW, streamViews, type CpuStream, type CpuStreamBuffers } from './stream.js';

/** Destination ports flows pick from (web, DNS, databases, caches). */
const DPORTS = [443, 443, 443, 80, 80, 53, 8080, 5432, 6379, 9092];

/** What the workload holds per phase, summed over CPUs. */
export interface PhaseFigures {
  name: string;
  startTick: number;
  endTick: number;
  newFlows: number;
  packets: number;
  /** Most flows open at once (first packet sent, last not yet). */
  peakOpen: number;
  /** Most entries a map must hold at once with an ideal collector: open flows plus stopped ones not yet idle past the timeout. */
  peakMustHold: number;
  /** The same when the collector sweeps as late as its pace allows (two periods after an entry expires): the most a map that loses nothing can hold. */
  peakWithGcLag: number;
}

export interface Workload {
  scenario: Scenario;
  nCpus: number;
  phases: ResolvedPhase[];
  ticks: number;
  /** Packets each CPU processes (streams are cut to the shortest CPU's, so every CPU runs the same count). */
  packetsPerCpu: number;
  streams: CpuStreamBuffers[];
  /** Per tick, summed over CPUs: flows open at the tick's end. */
  open: Int32Array;
  /** Per tick: entries a map must hold with an ideal collector (conntrack) or with every closed socket removed (sockmap). */
  mustHold: Int32Array;
  /** Per tick: entries a map holds at most when the collector sweeps as late as its pace allows. */
  mustHoldWithGcLag: Int32Array;
  figures: PhaseFigures[];
  /** Longest gap between two packets of one flow, in ticks. */
  maxIntervalTicks: number;
}

/** A growable Int32 column (the generator does not know the stream length in advance). */
class Column {
  data: Int32Array;
  length = 0;
  constructor(initial = 1024) {
    this.data = new Int32Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/** One CPU's flows and packets before the streams are cut to a common length. */
interface RawCpu {
  packets: Column;
  tickStart: Int32Array;
  total: Column;
  closes: Column;
  dst: Column;
  dport: Column;
  proto: Column;
}

/**
 * Generates the scenario's workload for `nCpus` CPUs. Deterministic: the same
 * scenario (seed included) and CPU count give the same flows, packets and
 * order on every CPU, whatever machine runs it.
 *
 * Each CPU draws from its own PRNG stream (seed, cpu). Per tick it starts
 * newFlowsPerTick / nCpus new flows (the fractional part by a Bernoulli
 * draw), then emits one packet for each flow due at that tick, in an order
 * shuffled by the same PRNG. A new flow draws its packet count (Pareto), its
 * interval (a packet every k ticks), whether it ends with a close, and its
 * destination; it is then due again every k ticks (a timing wheel) until its
 * packets are sent.
 */
export function generateWorkload(scenario: Scenario, nCpus: number): Workload {
  if (!Number.isInteger(nCpus) || nCpus < 1 || nCpus > 128) throw new RangeError(`nCpus must be an integer in 1..128, got ${nCpus}`);
  const phases = resolvePhases(scenario);
  const ticks = phases.at(-1)!.endTick;
  const maxIntervalTicks = Math.max(...phases.map((p) => p.flows.intervalTicks.max));
  const raw: RawCpu[] = [];
  for (let cpu = 0; cpu < nCpus; cpu++) raw.push(generateCpu(scenario.seed, cpu, nCpus, phases, ticks, maxIntervalTicks));

  const packetsPerCpu = Math.min(...raw.map((r) => r.packets.length));
  const streams = raw.map((r, cpu) => toBuffers(r, cpu, packetsPerCpu, ticks));
  const timeout = scenario.gc ? scenario.gc.idleTimeoutTicks : 0;
  const lag = scenario.gc ? 2 * scenario.gc.everyTicks : 0;
  const { open, mustHold, mustHoldWithGcLag, figures } = occupancy(streams.map(streamViews), raw, phases, ticks, timeout, lag);
  return { scenario, nCpus, phases, ticks, packetsPerCpu, streams, open, mustHold, mustHoldWithGcLag, figures, maxIntervalTicks };
}

function generateCpu(seed: number, cpu: number, nCpus: number, phases: ResolvedPhase[], ticks: number, maxInterval: number): RawCpu {
  const rng = new Xoshiro128(seed, cpu);
  const wheelSize = maxInterval + 1;
  const wheel: number[][] = Array.from({ length: wheelSize }, () => []);
  let spare: number[] = [];
  const out: RawCpu = {
    packets: new Column(1 << 16),
    tickStart: new Int32Array(ticks + 1),
    total: new Column(),
    closes: new Column(),
    dst: new Column(),
    dport: new Column(),
    proto: new Column(),
  };
  const sent = new Column();
  const interval = new Column();
  let p = 0;
  for (let t = 0; t < ticks; t++) {
    while (t >= phases[p]!.endTick) p++;
    const phase = phases[p]!;
    out.tickStart[t] = out.packets.length;
    const due = wheel[t % wheelSize]!;
    wheel[t % wheelSize] = spare;
    const share = phase.newFlowsPerTick / nCpus;
    const whole = Math.floor(share);
    const starts = whole + (rng.nextFloat() < share - whole ? 1 : 0);
    for (let k = 0; k < starts; k++) {
      const id = out.total.length;
      if (id >= MAX_FLOWS_PER_CPU) throw new RangeError(`the scenario starts more than ${MAX_FLOWS_PER_CPU} flows on one CPU`);
      const f = phase.flows;
      const total = rng.paretoInt(f.packets.min, f.packets.alpha, f.packets.max);
      // A lone packet cannot both open and close a connection: one-packet flows just stop.
      const closes = total >= 2 && rng.nextFloat() < f.closeFraction ? 1 : 0;
      out.total.push(total);
      out.closes.push(closes);
      interval.push(rng.intBetween(f.intervalTicks.min, f.intervalTicks.max));
      sent.push(0);
      out.dst.push(0x0a600000 | (rng.nextU32() & 0xffff) | 0);
      out.dport.push(DPORTS[rng.nextU32() % DPORTS.length]!);
      out.proto.push(closes || rng.nextFloat() < 0.8 ? 6 : 17);
      due.push(id);
    }
    // Fisher-Yates with the CPU's PRNG: flows due at the same tick interleave.
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1));
      const tmp = due[i]!;
      due[i] = due[j]!;
      due[j] = tmp;
    }
    for (const id of due) {
      const n = sent.data[id]!;
      const total = out.total.data[id]!;
      let kind = KIND_DATA;
      if (n === 0) kind = KIND_NEW;
      else if (n === total - 1) kind = out.closes.data[id] ? KIND_CLOSE : KIND_LAST;
      out.packets.push((id << 2) | kind);
      sent.data[id] = n + 1;
      if (n + 1 < total) wheel[(t + interval.data[id]!) % wheelSize]!.push(id);
    }
    due.length = 0;
    spare = due;
  }
  out.tickStart[ticks] = out.packets.length;
  return out;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(bytes, 8));
}

/** Cuts a CPU's stream to `length` packets and moves it into shared memory. */
function toBuffers(r: RawCpu, cpu: number, length: number, ticks: number): CpuStreamBuffers {
  const flows = r.total.length;
  const packets = shared(length * 4);
  new Int32Array(packets).set(r.packets.data.subarray(0, length));
  const tickStart = shared((ticks + 1) * 4);
  const ts = new Int32Array(tickStart);
  for (let t = 0; t <= ticks; t++) ts[t] = Math.min(r.tickStart[t]!, length);
  const flowDst = shared(flows * 4);
  new Uint32Array(flowDst).set(new Uint32Array(r.dst.data.buffer, 0, flows));
  const flowDport = shared(flows * 2);
  const dp = new Uint16Array(flowDport);
  const flowProto = shared(flows);
  const pr = new Uint8Array(flowProto);
  for (let f = 0; f < flows; f++) {
    dp[f] = r.dport.data[f]!;
    pr[f] = r.proto.data[f]!;
  }
  return { cpu, length, packets, tickStart, flowDst, flowDport, flowProto, flows };
}

/**
 * What a map has to hold, tick by tick, when nothing is lost: from a flow's
 * first packet to its close, or for a flow that just stops, until it has been
 * idle past the GC timeout (an ideal collector), or `lag` ticks more (the
 * collector's worst delay). Computed from the streams as cut, so it describes
 * exactly the packets the CPUs process.
 */
function occupancy(streams: CpuStream[], raw: RawCpu[], phases: ResolvedPhase[], ticks: number, timeout: number, lag: number) {
  const openDiff = new Int32Array(ticks + 1);
  const holdDiff = new Int32Array(ticks + 1);
  const lagDiff = new Int32Array(ticks + 1);
  const newFlows = new Float64Array(phases.length);
  const packets = new Float64Array(phases.length);
  const add = (d: Int32Array, t: number, v: number): void => {
    if (t < ticks) d[t] += v;
  };
  for (const [cpu, s] of streams.entries()) {
    const total = raw[cpu]!.total.data;
    const sent = new Int32Array(s.flows);
    let p = 0;
    for (let t = 0; t < ticks; t++) {
      while (t >= phases[p]!.endTick) p++;
      const end = s.tickStart[t + 1]!;
      for (let i = s.tickStart[t]!; i < end; i++) {
        const w = s.packets[i]!;
        const f = w >>> 2;
        const kind = w & 3;
        packets[p]++;
        const n = ++sent[f];
        if (n === 1) {
          newFlows[p]++;
          add(openDiff, t, 1);
          add(holdDiff, t, 1);
          add(lagDiff, t, 1);
        }
        if (n === total[f]) {
          if (kind === KIND_CLOSE) {
            add(openDiff, t, -1);
            add(holdDiff, t, -1);
            add(lagDiff, t, -1);
          } else {
            add(openDiff, t + 1, -1);
            add(holdDiff, t + timeout + 1, -1);
            add(lagDiff, t + timeout + lag + 1, -1);
          }
        }
      }
    }
  }
  const open = new Int32Array(ticks);
  const mustHold = new Int32Array(ticks);
  const mustHoldWithGcLag = new Int32Array(ticks);
  let o = 0;
  let h = 0;
  let l = 0;
  for (let t = 0; t < ticks; t++) {
    o += openDiff[t]!;
    h += holdDiff[t]!;
    l += lagDiff[t]!;
    open[t] = o;
    mustHold[t] = h;
    mustHoldWithGcLag[t] = l;
  }
  const peak = (a: Int32Array, from: number, to: number): number => {
    let m = 0;
    for (let t = from; t < to; t++) m = Math.max(m, a[t]!);
    return m;
  };
  const figures: PhaseFigures[] = phases.map((ph, i) => ({
    name: ph.name,
    startTick: ph.startTick,
    endTick: ph.endTick,
    newFlows: newFlows[i]!,
    packets: packets[i]!,
    peakOpen: peak(open, ph.startTick, ph.endTick),
    peakMustHold: peak(mustHold, ph.startTick, ph.endTick),
    peakWithGcLag: peak(mustHoldWithGcLag, ph.startTick, ph.endTick),
  }));
  return { open, mustHold, mustHoldWithGcLag, figures };
}
