import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { builtModuleUrl, createMap, LockTimeoutError, QuiescenceDomain, verify, type ArrayOfMapsMap, type BpfMap } from '@rightsize/engine';
import { ACK, CONTROL_WORDS, COUNTER_SLOTS, LEDGER_KEYS, LEDGER_STRIDE, PAUSE, STOP, counterIndex, ledgerHashKey, type Counter } from './layout.js';
import { KEYSPACE, soakMaps } from './maps.js';
import type { SoakWorkerData } from './worker.js';
import { stampOf } from './values.js';

export interface SoakOptions {
  /** Length of the run. */
  seconds: number;
  /** CPU workers (default: the machine's cores). */
  cpus: number;
  /** Mean time between two CPU kills (0: no kills). */
  killEveryMs: number;
  /** Time between two pauses that verify every map. */
  verifyEveryMs: number;
  /** Time between two progress lines. */
  progressEveryMs: number;
  /** One operation in this many is a hostile input. */
  hostileEvery: number;
  seed: number;
}

export function soakDefaults(over: Partial<SoakOptions> = {}): SoakOptions {
  return {
    seconds: 60,
    cpus: availableParallelism(),
    killEveryMs: 4000,
    verifyEveryMs: 5000,
    progressEveryMs: 5000,
    hostileEvery: 97,
    seed: Date.now() & 0x7fffffff,
    ...over,
  };
}

export interface SoakReport {
  seconds: number;
  cpus: number;
  seed: number;
  operations: number;
  opsPerSec: number;
  results: { ok: number; ebusy: number; e2big: number; enomem: number; enoent: number; eexist: number; other: number };
  resizes: { grows: number; shrinks: number; calls: number; byMap: Record<string, { grows: number; shrinks: number }> };
  ebusy: number;
  kills: number;
  /** Kills of a CPU worker that was itself started after an earlier death (a replacement killed again). */
  replacementKills: number;
  /** Of those, kills within QUICK_KILL_MS of the replacement's start (it may still be attaching or taking locks over). */
  quickKills: number;
  recovery: { locksRecovered: number; recordsReplayed: number; elementsReclaimed: number; repairs: number };
  /** Recovery per map (array_of_maps: with the inner maps it holds at the end). */
  recoveryByMap: Record<string, { locksRecovered: number; recordsReplayed: number; elementsReclaimed: number; repairs: number }>;
  /** LockTimeoutErrors met by any thread (each is a violation too): a lock left held for good. Must be 0. */
  lockTimeouts: number;
  inputsTried: number;
  inputsRefused: number;
  valuesChecked: number;
  tornReads: number;
  verifies: number;
  ledgerChecks: number;
  innerMapSwaps: number;
  violations: string[];
}

interface Cpu {
  worker: Worker | null;
  incarnation: number;
  /** When the current worker was started (Date.now()). */
  startedAt: number;
  /** Set while the main thread is the one ending it (a kill or the end of the run). */
  ending: boolean;
}

const PAUSE_WAIT_MS = 60_000;
/** A replacement CPU is sometimes killed again this soon after its start. */
const QUICK_KILL_MS = 50;
const QUIET_WAIT_MS = 20_000;
/** A resize seen at this many verify pauses in a row without any progress is stuck. */
const STUCK_PAUSES = 3;

/**
 * The soak: every map type under mixed load from all CPUs for `seconds`,
 * with the resizable maps resizing all along, a CPU killed at a random
 * moment every `killEveryMs` (and replaced), and every `verifyEveryMs` a
 * pause in which every map is repaired (as its next write would) and
 * verified, and every CPU's ledger checked (no committed write lost). Every
 * violation is collected: a torn value read, a hostile input accepted or
 * answered with anything but a clear error, an unexpected exception, a
 * verify problem, a ledger entry lost, a CPU that stops answering.
 */
export async function runSoak(opts: SoakOptions, log: (line: string) => void = () => undefined): Promise<SoakReport> {
  if (opts.cpus < 1 || opts.cpus > 128) throw new RangeError(`cpus must be in 1..128, got ${opts.cpus}`);
  const domain = QuiescenceDomain.create();
  const defs = soakMaps(opts.cpus);
  const maps = new Map<string, BpfMap>();
  const violations: string[] = [];
  const violate = (v: string) => {
    if (violations.length < 200) violations.push(v);
    log(`VIOLATION: ${v}`);
  };
  let ledgerMaps = 0;
  const ledgerIndex = new Map<string, number>();
  for (const def of defs) {
    maps.set(def.name, createMap(def.spec, { domain }));
    if (def.ledger) ledgerIndex.set(def.name, ledgerMaps++);
  }
  const aom = maps.get('array_of_maps') as ArrayOfMapsMap;
  let swaps = 0;
  let mainLockTimeouts = 0;
  /** Runs a main-thread step; a LockTimeoutError there is counted (and is a violation), not fatal. */
  const guarded = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof LockTimeoutError)) throw e;
      mainLockTimeouts++;
      violate(`main thread, ${what}: ${e.message}`);
    }
  };
  const swapInner = (index: number) => {
    const inner = createMap(defs.find((d) => d.name === 'array_of_maps')!.spec.inner!, { domain });
    guarded(`swapping inner map ${index}`, () => {
      const rc = aom.setInner(index, inner);
      if (rc === 0) swaps++;
      else inner.destroy();
      aom.reclaim();
    });
  };
  for (let i = 0; i < aom.spec.maxEntries; i++) swapInner(i);
  // The deferred resizer thread is started by the thread that first asks for
  // a resize, and ends with it: started here, it is not lost with a killed CPU.
  maps.get('hash_resize_deferred')!.grow();

  const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const ctl = new Int32Array(control);
  const countersSab = new SharedArrayBuffer(128 * COUNTER_SLOTS * 8);
  const counters = new Float64Array(countersSab);
  const ledgerSab = new SharedArrayBuffer(Math.max(1, ledgerMaps) * 128 * LEDGER_STRIDE * 4);
  const ledger = new Int32Array(ledgerSab).fill(0);
  const workerUrl = builtModuleUrl('./worker.js', import.meta.url);
  const cpus: Cpu[] = Array.from({ length: opts.cpus }, () => ({ worker: null, incarnation: 0, startedAt: 0, ending: false }));

  const start = (cpu: number) => {
    const c = cpus[cpu]!;
    const data: SoakWorkerData = {
      cpu,
      incarnation: c.incarnation++,
      seed: opts.seed,
      domain: domain.sab,
      maps: defs.map((d) => ({ name: d.name, handle: maps.get(d.name)!.handle, ledger: ledgerIndex.get(d.name) ?? -1, resizes: d.resizes })),
      control,
      counters: countersSab,
      ledger: ledgerSab,
      hostileEvery: opts.hostileEvery,
    };
    const w = new Worker(workerUrl, { workerData: data });
    c.worker = w;
    c.startedAt = Date.now();
    c.ending = false;
    w.on('message', (m: { violation?: string }) => {
      if (m.violation) violate(m.violation);
    });
    w.on('error', (e) => violate(`CPU ${cpu} crashed: ${e.stack ?? e.message}`));
    w.on('exit', (code) => {
      if (!c.ending) violate(`CPU ${cpu} exited on its own (code ${code})`);
      if (c.worker === w) c.worker = null;
    });
  };

  const sum = (name: Counter) => {
    let n = 0;
    for (let cpu = 0; cpu < opts.cpus; cpu++) n += counters[cpu * COUNTER_SLOTS + counterIndex[name]]!;
    return n;
  };

  let kills = 0;
  let replacementKills = 0;
  let quickKills = 0;
  let verifies = 0;
  let ledgerChecks = 0;
  let valuesChecked = 0;

  const killOnce = async (cpu: number) => {
    const c = cpus[cpu]!;
    const w = c.worker;
    if (!w) return;
    c.ending = true;
    const replacement = c.incarnation > 1;
    const quick = Date.now() - c.startedAt < QUICK_KILL_MS;
    await w.terminate();
    // No domain.markDead here, on purpose. The worker runtime calls it when it
    // sees a CPU worker exit, but a CPU can die where nobody watches (a crash,
    // an abort, a worker started by someone else), so the engine must find a
    // dead CPU by itself: its lock waiters and grace periods ask the OS
    // whether the thread still exists (rcu/liveness.ts). Marking it here
    // would hide a death the engine fails to find.
    kills++;
    if (replacement) replacementKills++;
    if (replacement && quick) quickKills++;
    start(cpu);
  };

  /**
   * A CPU death, and now and then the death of its replacement too, soon
   * after its start (it may still be attaching, going online, or taking over
   * the locks its predecessor left), while the other CPUs go on with their
   * loops or wait on those very locks.
   */
  const kill = async (cpu: number) => {
    await killOnce(cpu);
    while (Math.random() < 0.3) {
      await new Promise((r) => setTimeout(r, Math.random() * QUICK_KILL_MS));
      await killOnce(cpu);
    }
  };

  /** The ledger of every CPU: each entry holds its last committed stamp, or the stamp that was in flight. */
  const checkLedger = () => {
    for (const [name, li] of ledgerIndex) {
      const m = maps.get(name)!;
      const key = new Uint8Array(4);
      const out = new Uint8Array(m.spec.valueSize);
      for (let cpu = 0; cpu < opts.cpus; cpu++) {
        const base = (li * 128 + cpu) * LEDGER_STRIDE;
        const flightKey = Atomics.load(ledger, base + LEDGER_KEYS);
        const flightStamp = Atomics.load(ledger, base + LEDGER_KEYS + 1);
        for (let j = 0; j < LEDGER_KEYS; j++) {
          const committed = Atomics.load(ledger, base + j);
          const n = m.spec.type === 'array' ? KEYSPACE + cpu * LEDGER_KEYS + j : ledgerHashKey(cpu, j);
          new DataView(key.buffer).setUint32(0, n, true);
          const rc = m.lookupInto(key, out);
          ledgerChecks++;
          const stamp = rc === 0 ? stampOf(out) : null;
          // Absent is right only for an entry never committed (its first write may have been the one in flight).
          const ok = rc === 0 ? stamp === committed || (j === flightKey && stamp === flightStamp) : committed === 0;
          if (!ok) violate(`${name}: ledger entry ${j} of CPU ${cpu}: found ${rc === 0 ? `stamp ${stamp}` : `nothing (${rc})`}, committed ${committed}, in flight ${j === flightKey ? flightStamp : 'none'}`);
        }
      }
    }
  };

  /**
   * hash_resize with the deferred driver resizes on its own thread, which the
   * pause does not stop: the map is verified at a moment with no resize under
   * way, and a problem counts only if it is still there on later attempts
   * (the resizer may hold R_LOCK for an instant while it looks at the
   * watermarks); a dead owner's lock would stay.
   */
  const verifyQuiet = async (name: string, m: BpfMap) => {
    let problems: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const deadline = Date.now() + QUIET_WAIT_MS;
      while (m.stats().state === 'resizing') {
        if (Date.now() > deadline) {
          violate(`${name}: a resize stayed under way for ${QUIET_WAIT_MS} ms with every CPU paused`);
          return;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      const before = m.stats();
      problems = verify(m).problems;
      const after = m.stats();
      const quiet = after.state === 'idle' && after.grows === before.grows && after.shrinks === before.shrinks;
      if (quiet && problems.length === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const p of problems) violate(`${name}: ${p}`);
  };

  /**
   * A resize must end, whoever died in it: its dead migrators' batches are
   * taken over. One seen at STUCK_PAUSES pauses in a row with the same
   * progress (while the CPUs wrote the map in between) never will: every
   * write to its unmigrated buckets answers -EBUSY for good, which the
   * results alone would not show.
   */
  const resizeSeen = new Map<string, { at: string; pauses: number }>();
  const checkResizeProgress = (name: string, m: BpfMap) => {
    const s = m.stats();
    if (s.state !== 'resizing') {
      resizeSeen.delete(name);
      return;
    }
    const at = JSON.stringify({ grows: s.grows, shrinks: s.shrinks, resizing: s.resizing });
    const prev = resizeSeen.get(name);
    const pauses = prev !== undefined && prev.at === at ? prev.pauses + 1 : 1;
    resizeSeen.set(name, { at, pauses });
    if (pauses === STUCK_PAUSES) violate(`${name}: a resize made no progress across ${STUCK_PAUSES} verify pauses (${at})`);
  };

  const pauseAndVerify = async () => {
    const epoch = verifies + 1;
    Atomics.store(ctl, PAUSE, epoch);
    Atomics.notify(ctl, PAUSE);
    const deadline = Date.now() + PAUSE_WAIT_MS;
    for (let cpu = 0; cpu < opts.cpus; cpu++) {
      while (Atomics.load(ctl, ACK + cpu) !== epoch) {
        if (Date.now() > deadline) {
          violate(`CPU ${cpu} did not reach a pause point within ${PAUSE_WAIT_MS} ms`);
          await killOnce(cpu);
          break;
        }
        // A CPU replaced meanwhile (or starting) reaches the pause on its first loop.
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    for (const [name, m] of maps) {
      // What the map's next write would do after a death: take over dead
      // owners' locks, replay their writes, give back what they took.
      guarded(`repairing ${name}`, () => m.repair());
      if (name === 'hash_resize_deferred') await verifyQuiet(name, m);
      else for (const p of verify(m).problems) violate(`${name}: ${p}`);
      checkResizeProgress(name, m);
    }
    checkLedger();
    verifies++;
    Atomics.store(ctl, PAUSE, 0);
    Atomics.notify(ctl, PAUSE);
  };

  const t0 = Date.now();
  const end = t0 + opts.seconds * 1000;
  for (let cpu = 0; cpu < opts.cpus; cpu++) start(cpu);
  const jitter = () => opts.killEveryMs * (0.5 + Math.random());
  let nextKill = opts.killEveryMs > 0 ? t0 + jitter() : Infinity;
  let nextVerify = t0 + opts.verifyEveryMs;
  let nextProgress = t0 + opts.progressEveryMs;
  let nextSwap = t0 + 1000;
  const progressLine = () => {
    const s = (Date.now() - t0) / 1000;
    const ops = sum('ops');
    return (
      `[soak ${fmtTime(s)}/${fmtTime(opts.seconds)}] ops ${fmtCount(ops)} (${fmtCount(ops / Math.max(s, 0.001))}/s)  resizes ${resizeTotals(maps).grows + resizeTotals(maps).shrinks}` +
      `  EBUSY ${fmtCount(sum('ebusy'))}  kills ${kills} (${replacementKills} replacements)  lock timeouts ${sum('lockTimeouts') + mainLockTimeouts}  verifies ${verifies}  inputs ${fmtCount(sum('inputsTried'))}  violations ${violations.length}`
    );
  };
  log(`soak: ${opts.seconds} s on ${opts.cpus} CPUs, ${defs.length} maps (${defs.map((d) => d.name).join(', ')}), kill every ~${opts.killEveryMs} ms, verify every ${opts.verifyEveryMs} ms, seed ${opts.seed}`);
  try {
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      const now = Date.now();
      if (now >= nextKill) {
        await kill(Math.floor(Math.random() * opts.cpus));
        nextKill = now + jitter();
      }
      if (now >= nextSwap) {
        swapInner(Math.floor(Math.random() * aom.spec.maxEntries));
        nextSwap = now + 1000;
      }
      if (now >= nextVerify) {
        await pauseAndVerify();
        nextVerify = Date.now() + opts.verifyEveryMs;
      }
      if (now >= nextProgress) {
        log(progressLine());
        nextProgress = now + opts.progressEveryMs;
      }
    }
  } finally {
    Atomics.store(ctl, STOP, 1);
    Atomics.store(ctl, PAUSE, 0);
    Atomics.notify(ctl, PAUSE);
    await Promise.all(
      cpus.map(async (c) => {
        const w = c.worker;
        if (!w) return;
        c.ending = true;
        const exited = new Promise<void>((r) => w.once('exit', () => r()));
        const timer = setTimeout(() => {
          violate('a CPU did not stop within 30 s of the end of the run');
          void w.terminate();
        }, 30_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
  const elapsed = (Date.now() - t0) / 1000;
  // The last check, with every CPU gone.
  for (const [name, m] of maps) {
    guarded(`repairing ${name}`, () => m.repair());
    if (name === 'hash_resize_deferred') await verifyQuiet(name, m);
    else for (const p of verify(m).problems) violate(`${name}: ${p}`);
  }
  checkLedger();
  verifies++;
  valuesChecked = sum('lookups');
  const totals = resizeTotals(maps);
  const recovery = { locksRecovered: 0, recordsReplayed: 0, elementsReclaimed: 0, repairs: 0 };
  const recoveryByMap: SoakReport['recoveryByMap'] = {};
  const add = (to: SoakReport['recovery'], r: SoakReport['recovery']) => {
    to.locksRecovered += r.locksRecovered;
    to.recordsReplayed += r.recordsReplayed;
    to.elementsReclaimed += r.elementsReclaimed;
    to.repairs += r.repairs;
  };
  for (const [name, m] of maps) {
    const mine = { locksRecovered: 0, recordsReplayed: 0, elementsReclaimed: 0, repairs: 0 };
    add(mine, m.recoveryCounts());
    // Programs write the inner maps: their locks are where CPUs die.
    if (m === aom) for (let i = 0; i < aom.spec.maxEntries; i++) {
      const inner = aom.getInner(i);
      if (inner) add(mine, inner.recoveryCounts());
    }
    recoveryByMap[name] = mine;
    add(recovery, mine);
  }
  const report: SoakReport = {
    seconds: Math.round(elapsed),
    cpus: opts.cpus,
    seed: opts.seed,
    operations: sum('ops'),
    opsPerSec: Math.round(sum('ops') / elapsed),
    results: { ok: sum('ok'), ebusy: sum('ebusy'), e2big: sum('e2big'), enomem: sum('enomem'), enoent: sum('enoent'), eexist: sum('eexist'), other: sum('otherErrno') },
    resizes: { ...totals, calls: sum('resizeCalls') },
    ebusy: sum('ebusy'),
    kills,
    replacementKills,
    quickKills,
    recovery,
    recoveryByMap,
    lockTimeouts: sum('lockTimeouts') + mainLockTimeouts,
    inputsTried: sum('inputsTried'),
    inputsRefused: sum('inputsRefused'),
    valuesChecked,
    tornReads: sum('tornReads'),
    verifies,
    ledgerChecks,
    innerMapSwaps: swaps,
    violations,
  };
  aom.destroy();
  for (const m of maps.values()) if (m !== aom) m.destroy();
  return report;
}

function resizeTotals(maps: Map<string, BpfMap>): { grows: number; shrinks: number; byMap: Record<string, { grows: number; shrinks: number }> } {
  let grows = 0;
  let shrinks = 0;
  const byMap: Record<string, { grows: number; shrinks: number }> = {};
  for (const [name, m] of maps) {
    const s = m.stats();
    if (typeof s.grows !== 'number' || typeof s.shrinks !== 'number') continue;
    byMap[name] = { grows: s.grows, shrinks: s.shrinks };
    grows += s.grows;
    shrinks += s.shrinks;
  }
  return { grows, shrinks, byMap };
}

function fmtTime(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
