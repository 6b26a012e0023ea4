import type { ProgramContext } from '@rightsize/workers';
import { C, CLOCK_DONE, CLOCK_STRIDE, N_COUNTERS, clockGenerationAt, cpuRegion, paceGenerationAt } from '../accounting/tally.js';
import { KEY_SIZE, writeFlowKey } from '../workload/flow-key.js';
import { streamViews, type CpuStreamBuffers } from '../workload/stream.js';
import { FLOW_ADMITTED, FLOW_BROKEN, FLOW_REFUSED, FLOW_STALE, FLOW_STATE_MASK } from './entries.js';

/** What the runner hands every CPU (structured-cloneable: SharedArrayBuffers and numbers). */
export interface ExperimentParams {
  /** Every CPU's stream; a CPU replays streams[ctx.cpu]. */
  streams: CpuStreamBuffers[];
  /** The tick at which each phase ends. */
  phaseEndTicks: number[];
  tally: SharedArrayBuffer;
  clock: SharedArrayBuffer;
  /** Keep the CPUs within ALIGN_TICKS of each other on the tick axis (the runner always does, warm-up passes included). */
  align: boolean;
  /** The collector's pace (conntrack with its collector running); null: no collector to wait for. */
  pace: { sab: SharedArrayBuffer; everyTicks: number } | null;
  /** The recovery strategy's overflow map: its capacity and the shared count of entries admitted into it. */
  overflow: { capacity: number; counter: SharedArrayBuffer } | null;
  /** Replay only this many packets (a shorter warm-up pass); null for the whole stream. */
  limit: number | null;
}

/**
 * One CPU's replay state: its stream, where it is on the tick axis and in
 * which phase, its tally region, the key buffer, and what it knows of each
 * of its flows. Programs keep it as their state; the functions below work on
 * it without allocating (they run per packet).
 */
export interface Replay {
  cpu: number;
  length: number;
  packets: Int32Array;
  tickStart: Int32Array;
  dst: Uint32Array;
  dport: Uint16Array;
  proto: Uint8Array;
  tick: number;
  nextTickAt: number;
  phase: number;
  phaseEnd: Int32Array;
  region: Float64Array;
  /** Offset of the current phase's counters in region. */
  base: number;
  clock: Int32Array;
  clockAt: number;
  nCpus: number;
  align: boolean;
  clockGen: number;
  /** The collector's pace words, null when there is none. */
  pace: Int32Array | null;
  paceAt: number;
  paceGen: number;
  /** How far ahead of the last sweep this CPU may run, in ticks. */
  paceSlack: number;
  /** Time spent waiting for the collector or for slower CPUs (ms): taken out of the packet rate. */
  waitMs: number;
  key: Uint8Array;
  keyWords: Uint32Array;
  /** Order-sensitive digest of every key this CPU processed (FNV-1a over key words). */
  digest: number;
  /** Per flow: FLOW_UNSEEN / ADMITTED / REFUSED / BROKEN, plus the FLOW_STALE bit. */
  flowState: Uint8Array;
}

export function openReplay(ctx: ProgramContext<ExperimentParams>): Replay {
  const p = ctx.params;
  const buffers = p.streams[ctx.cpu];
  if (!buffers) throw new RangeError(`no stream for CPU ${ctx.cpu}: the workload was generated for ${p.streams.length} CPUs`);
  const s = streamViews(buffers);
  const key = new Uint8Array(KEY_SIZE);
  return {
    cpu: ctx.cpu,
    length: p.limit === null ? s.length : Math.min(p.limit, s.length),
    packets: s.packets,
    tickStart: s.tickStart,
    dst: s.flowDst,
    dport: s.flowDport,
    proto: s.flowProto,
    tick: -1,
    nextTickAt: 0,
    phase: 0,
    phaseEnd: Int32Array.from(p.phaseEndTicks),
    region: cpuRegion(p.tally, ctx.cpu, p.phaseEndTicks.length),
    base: 0,
    clock: new Int32Array(p.clock),
    clockAt: ctx.cpu * CLOCK_STRIDE,
    nCpus: ctx.nCpus,
    align: p.align,
    clockGen: clockGenerationAt(ctx.nCpus),
    pace: p.pace ? new Int32Array(p.pace.sab) : null,
    paceAt: ctx.cpu * CLOCK_STRIDE,
    paceGen: paceGenerationAt(ctx.nCpus),
    paceSlack: p.pace ? 2 * p.pace.everyTicks : 0,
    waitMs: 0,
    key,
    keyWords: new Uint32Array(key.buffer),
    digest: DIGEST_SEED,
    flowState: new Uint8Array(s.flows),
  };
}

/**
 * Moves the replay to the tick of packet i (and the phase of that tick),
 * then publishes the tick. The store comes after this CPU's map operations
 * for every earlier packet: a collector that loads the tick (Atomics, so
 * ordered) and then reads an entry sees every refresh of the earlier ticks.
 */
export function advance(r: Replay, i: number): void {
  while (i >= r.nextTickAt) {
    r.tick++;
    r.nextTickAt = r.tickStart[r.tick + 1]!;
  }
  while (r.tick >= r.phaseEnd[r.phase]!) r.phase++;
  r.base = r.phase * N_COUNTERS;
  Atomics.store(r.clock, r.clockAt, r.tick);
  if (r.align) {
    Atomics.add(r.clock, r.clockGen, 1);
    Atomics.notify(r.clock, r.clockGen);
    if (r.tick > slowestPeer(r) + ALIGN_TICKS) waitForPeers(r);
  }
  if (r.pace !== null && r.tick > Atomics.load(r.pace, r.paceAt) + r.paceSlack) waitForCollector(r);
}

/** Longest a CPU waits for a sweep, or for the other CPUs, before it calls the run off. */
const WAIT_TIMEOUT_MS = 60_000;

/**
 * How far (in ticks) a CPU may run ahead of the slowest CPU. Each CPU has its
 * own stream, but they share one time: without this a CPU that gets more of
 * the machine would live through the burst while another is still before it,
 * and the map would never see the burst the workload describes.
 */
export const ALIGN_TICKS = 2;

/** The tick of the slowest other CPU still replaying its stream. */
function slowestPeer(r: Replay): number {
  let min = Number.POSITIVE_INFINITY;
  for (let c = 0; c < r.nCpus; c++) {
    if (c === r.cpu || Atomics.load(r.clock, c * CLOCK_STRIDE + CLOCK_DONE) !== 0) continue;
    const t = Atomics.load(r.clock, c * CLOCK_STRIDE);
    if (t < min) min = t;
  }
  return min;
}

/** Waits (bounded) until no other CPU is more than ALIGN_TICKS behind this one. */
function waitForPeers(r: Replay): void {
  const t0 = performance.now();
  for (;;) {
    const gen = Atomics.load(r.clock, r.clockGen);
    if (r.tick <= slowestPeer(r) + ALIGN_TICKS) break;
    const waited = performance.now() - t0;
    if (waited > WAIT_TIMEOUT_MS) throw new Error(`CPU ${r.cpu} waited ${Math.round(waited)} ms at tick ${r.tick} for the other CPUs, the slowest at tick ${slowestPeer(r)}`);
    Atomics.wait(r.clock, r.clockGen, gen, 20);
  }
  r.waitMs += performance.now() - t0;
}

/** This CPU has replayed its whole stream: the others no longer wait for it. */
export function done(r: Replay): void {
  Atomics.store(r.clock, r.clockAt + CLOCK_DONE, 1);
  Atomics.add(r.clock, r.clockGen, 1);
  Atomics.notify(r.clock, r.clockGen);
}

/**
 * Waits until the collector has swept at a tick within paceSlack of this
 * CPU's (it sees this CPU's published tick and sweeps). Bounded: a collector
 * that does not come within WAIT_TIMEOUT_MS ends the run with an error.
 */
function waitForCollector(r: Replay): void {
  const pace = r.pace!;
  const t0 = performance.now();
  for (;;) {
    const gen = Atomics.load(pace, r.paceGen);
    if (r.tick <= Atomics.load(pace, r.paceAt) + r.paceSlack) break;
    const waited = performance.now() - t0;
    if (waited > WAIT_TIMEOUT_MS) {
      throw new Error(`CPU ${r.cpu} waited ${Math.round(waited)} ms at tick ${r.tick} for the collector, which last swept at tick ${Atomics.load(pace, r.paceAt)}`);
    }
    Atomics.wait(pace, r.paceGen, gen, 20);
  }
  r.waitMs += performance.now() - t0;
}

/** The digest before any key (FNV-1a's offset basis). */
export const DIGEST_SEED = 0x811c9dc5;

/** Folds a 16-byte key (as four u32 words) into an order-sensitive digest (FNV-1a over words). */
export function foldKey(digest: number, w: Uint32Array): number {
  let h = digest;
  h = Math.imul(h ^ w[0]!, 0x01000193);
  h = Math.imul(h ^ w[1]!, 0x01000193);
  h = Math.imul(h ^ w[2]!, 0x01000193);
  h = Math.imul(h ^ w[3]!, 0x01000193);
  return h >>> 0;
}

/** Writes flow f's key into r.key and folds it into the digest. */
export function loadKey(r: Replay, f: number): void {
  writeFlowKey(r.key, r.cpu, f, r.dst[f]!, r.dport[f]!, r.proto[f]!);
  r.digest = foldKey(r.digest, r.keyWords);
}

/** Counts one of the tally's counters in the current phase. */
export function count(r: Replay, counter: number): void {
  r.region[r.base + counter]++;
}

/** A flow's first packet got its entry. */
export function admitted(r: Replay, f: number): void {
  r.flowState[f] = FLOW_ADMITTED;
  const b = r.base;
  r.region[b + C.accepted]++;
  r.region[b + C.flowsAdmitted]++;
}

/** A flow's first packet was refused, for `reason` (one of the refused* counters). */
export function refused(r: Replay, f: number, reason: number): void {
  r.flowState[f] = FLOW_REFUSED;
  const b = r.base;
  r.region[b + C.refused]++;
  r.region[b + C.flowsRefused]++;
  r.region[b + reason]++;
}

/**
 * A later packet of flow f found no entry. The datapath drops it either way;
 * the experiment knows why: the flow was refused at its first packet, or it
 * was admitted and its entry has since been lost (broken).
 */
export function missed(r: Replay, f: number): void {
  const b = r.base;
  const st = r.flowState[f]!;
  const state = st & FLOW_STATE_MASK;
  if (state === FLOW_REFUSED) {
    r.region[b + C.refused]++;
    return;
  }
  if (state === FLOW_ADMITTED) {
    r.flowState[f] = FLOW_BROKEN;
    r.region[b + C.flowsBroken]++;
    if (st & FLOW_STALE) r.region[b + C.flowsBrokenStale]++;
  }
  r.region[b + C.broken]++;
}

/** The teardown's report: the exact counts (a copy of the region) and the digest. */
export function finish(r: Replay): { cpu: number; digest: number; region: number[]; packets: number; waitMs: number } {
  done(r);
  return { cpu: r.cpu, digest: r.digest, region: Array.from(r.region), packets: r.length, waitMs: r.waitMs };
}
