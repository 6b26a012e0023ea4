import { isMainThread, threadId } from 'node:worker_threads';
import { currentCpu } from '../context.js';
import { LINE_WORDS } from '../memory/segments.js';
import { MAX_CPUS } from '../spec/map-spec.js';
import type { OwnerLiveness } from '../locks/bucket-lock.js';
import { selfIdentity, threadAlive } from './liveness.js';

/**
 * The quiescence domain: RCU's grace periods for memory shared between threads.
 *
 * A resizable map retires a table (or a sub-array, or an inner map) while
 * lock-free readers may still be walking it. It may hand the memory back only
 * after every thread that could hold a reference has passed a quiescent point.
 *
 * Every thread that reads maps has a slot (one cache line, so that threads
 * bumping their own counters do not share lines). CPU slots are the CPU ids
 * 0..MAX_CPUS-1; other threads (the main thread, the agent, a resizer) claim a
 * userspace slot on first use. A slot's counter is even while the thread is
 * offline (outside any map operation or program run) and odd while online; a
 * CPU adds 2 at each quiescent point (between program events) and so stays odd.
 * A grace period is over when every slot that was online at the snapshot has
 * either gone offline or moved its counter, or belongs to a thread that died.
 *
 * Slot layout (Int32 words): [0] counter, [1] state, [2] thread id + 1,
 * [3] generation, [4] OS task id, [5] OS start time (rcu/liveness.ts).
 *
 * Deaths are found without anybody reporting them: a slot whose owner is
 * asked about (a lock waiter, a grace period that waits on it) and whose OS
 * thread has exited is marked dead right there (noticeDeath), exactly as if
 * the worker runtime had called markDead. So a CPU worker terminated,
 * crashed or aborted never blocks a lock or a grace period for longer than
 * one liveness check, whoever started it and whether or not its starter saw
 * it go.
 *
 * Lock owner ids name a slot and its generation: (generation << 11) | (slot + 1).
 * A CPU slot is reused when a dead CPU's worker is replaced; going online
 * after a death moves the generation, so a lock the dead incarnation still
 * holds stays recognisably dead-owned (and is never taken for the new
 * worker's own). The domain's first line also counts deaths, so that every
 * map can tell that it has a repair to make (see recovery/log.ts).
 */
const SLOT_FREE = 0;
const SLOT_ALIVE = 1;
const SLOT_DEAD = 2;

export const USER_SLOTS = 896;
export const DOMAIN_SLOTS = MAX_CPUS + USER_SLOTS;
const W_COUNTER = 0;
const W_STATE = 1;
const W_THREAD = 2;
const W_GEN = 3;
const W_TID = 4;
const W_START = 5;
/** A slot found alive is not asked of the OS again for this long (a check reads /proc: about 20 µs). */
const LIVENESS_RECHECK_MS = 2;
/** Bits of an owner id that hold slot + 1 (DOMAIN_SLOTS <= 2047); the generation sits above them. */
const OWNER_SLOT_BITS = 11;
/** The slot + 1 part of an owner id. */
export const OWNER_SLOT_MASK = (1 << OWNER_SLOT_BITS) - 1;
/** Generations wrap within what keeps an owner id below the lock word's WAITERS bit (2^30). */
const GEN_MASK = (1 << (30 - OWNER_SLOT_BITS)) - 1;
/** Word of the first line counting markDead calls. */
const W_DEATHS = 2;
/** Words [0..1] of the first line hold the domain's id; slots start at line 1. */
const SLOTS_BASE = LINE_WORDS;

const domains = new Map<string, QuiescenceDomain>();
let defaultDomain: QuiescenceDomain | null = null;

export class QuiescenceDomain implements OwnerLiveness {
  readonly words: Int32Array;
  readonly id: string;
  /** This thread's userspace slot in this domain, claimed on first use. */
  private userSlot = -1;
  /** Nesting depth of userspace read sections on this thread. */
  private depth = 0;
  /** When this thread last found each slot's OS thread alive (performance.now() ms; thread-local cache). */
  private readonly checkedAt = new Float64Array(DOMAIN_SLOTS);

  private constructor(readonly sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab);
    this.id = `${this.words[0]!.toString(16)}-${this.words[1]!.toString(16)}`;
  }

  static create(): QuiescenceDomain {
    const sab = new SharedArrayBuffer((SLOTS_BASE + DOMAIN_SLOTS * LINE_WORDS) * 4);
    const w = new Int32Array(sab);
    crypto.getRandomValues(w.subarray(0, 2));
    return QuiescenceDomain.attach(sab);
  }

  /** The one object per thread for the domain in `sab` (structured clones of it compare unequal). */
  static attach(sab: SharedArrayBuffer): QuiescenceDomain {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== (SLOTS_BASE + DOMAIN_SLOTS * LINE_WORDS) * 4) {
      throw new TypeError('not a quiescence domain buffer');
    }
    const probe = new Int32Array(sab, 0, 2);
    const key = `${probe[0]!.toString(16)}-${probe[1]!.toString(16)}`;
    let d = domains.get(key);
    if (!d) {
      d = new QuiescenceDomain(sab);
      domains.set(key, d);
    }
    return d;
  }

  private at(slot: number, word: number): number {
    return SLOTS_BASE + slot * LINE_WORDS + word;
  }

  /** The slot of the calling thread: its CPU id when running a program, else its userspace slot. */
  currentSlot(): number {
    const cpu = currentCpu();
    if (cpu >= 0) return cpu;
    if (this.userSlot < 0) this.userSlot = this.claimUserSlot();
    return this.userSlot;
  }

  /**
   * Lock owner id of the calling thread: slot + 1 (so that 0 means "free")
   * and the slot's generation. The generation word is written only by the
   * slot's own thread (going online), so a plain read is current.
   */
  ownerId(): number {
    const slot = this.currentSlot();
    return ((this.words[this.at(slot, W_GEN)]! & GEN_MASK) << OWNER_SLOT_BITS) | (slot + 1);
  }

  /** The slot an owner id names. */
  ownerSlot(owner: number): number {
    return (owner & OWNER_SLOT_MASK) - 1;
  }

  /** How many times a thread of this domain was marked dead (maps repair when it moves). */
  deaths(): number {
    return this.words[W_DEATHS]!;
  }

  private claimUserSlot(): number {
    for (let s = MAX_CPUS; s < DOMAIN_SLOTS; s++) {
      const st = this.at(s, W_STATE);
      if (Atomics.compareExchange(this.words, st, SLOT_FREE, SLOT_ALIVE) === SLOT_FREE) {
        this.recordThread(s);
        // A worker thread hands its slot back when it ends, so that a process
        // starting many short-lived threads does not run out. (A thread that
        // is terminated mid-operation may not get to run this; its slot then
        // stays taken, which costs one slot, never correctness.)
        if (!isMainThread) process.once('exit', () => this.releaseUserSlot());
        return s;
      }
    }
    throw new Error(`rightsize: more than ${USER_SLOTS} live userspace threads use one quiescence domain`);
  }

  private releaseUserSlot(): void {
    const s = this.userSlot;
    if (s < 0) return;
    this.userSlot = -1;
    const c = this.at(s, W_COUNTER);
    // Offline first (even counter), then free: a reclaimer never waits on it.
    if ((Atomics.load(this.words, c) & 1) === 1) this.bump(c, 1);
    Atomics.store(this.words, this.at(s, W_THREAD), 0);
    Atomics.store(this.words, this.at(s, W_TID), 0);
    Atomics.store(this.words, this.at(s, W_STATE), SLOT_FREE);
  }

  /** Writes the calling thread's ids into `slot` (before the slot is alive for it, so no check sees a stale pair). */
  private recordThread(slot: number): void {
    const me = selfIdentity();
    Atomics.store(this.words, this.at(slot, W_START), me.start);
    Atomics.store(this.words, this.at(slot, W_TID), me.tid);
    Atomics.store(this.words, this.at(slot, W_THREAD), threadId + 1);
  }

  /**
   * A CPU starts running programs: it is online from now on. The slot's last
   * thread may have died online without anybody marking it (a worker
   * terminated while nobody watched): that is a death like any other, noticed here
   * before the slot is taken, so that the new incarnation gets a new
   * generation and a lock the old one left is never taken for its own.
   */
  cpuOnline(cpu: number): void {
    const me = selfIdentity();
    const tid = Atomics.load(this.words, this.at(cpu, W_TID));
    const start = Atomics.load(this.words, this.at(cpu, W_START));
    // Only a thread that vanished while online (odd counter) died in the
    // middle of something; one that went offline first ended cleanly.
    const online = (Atomics.load(this.words, this.at(cpu, W_COUNTER)) & 1) === 1;
    if (online && tid !== 0 && (tid !== me.tid || start !== me.start) && !threadAlive(tid, start)) this.noticeDeath(cpu, tid);
    this.recordThread(cpu);
    this.revive(cpu);
    const c = this.at(cpu, W_COUNTER);
    if ((Atomics.load(this.words, c) & 1) === 0) this.bump(c, 1);
  }

  /**
   * A CPU passed a quiescent point (between two program events): it holds no
   * reference into any map memory (see bump for the ordering).
   */
  cpuQuiescent(cpu: number): void {
    this.bump(this.at(cpu, W_COUNTER), 2);
  }

  /** A CPU stops running programs (end of a run): it is offline. */
  cpuOffline(cpu: number): void {
    const c = this.at(cpu, W_COUNTER);
    if ((Atomics.load(this.words, c) & 1) === 1) this.bump(c, 1);
  }

  /**
   * Moves a slot's counter. Only the slot's own thread ever writes its
   * counter (reclaimers only read it; deaths are marked in W_STATE), so a
   * load and a store do what an Atomics.add would, with no read-modify-write
   * on shared memory. The store is sequentially consistent: a full barrier,
   * so every read of the section it ends is done before a reclaimer can see
   * the new value, and one that begins a section is visible before the
   * section reads anything.
   */
  private bump(c: number, by: number): void {
    Atomics.store(this.words, c, this.words[c]! + by);
  }

  /**
   * Userspace read section: a non-CPU thread is online for the duration of one
   * map operation. Inside a program (currentCpu() >= 0) the runtime already
   * keeps the CPU online, so this is a no-op. Nested sections count.
   */
  readBegin(): void {
    if (currentCpu() >= 0) return;
    if (this.depth++ === 0) this.bump(this.at(this.currentSlot(), W_COUNTER), 1);
  }

  readEnd(): void {
    if (currentCpu() >= 0) return;
    if (--this.depth === 0) this.bump(this.at(this.currentSlot(), W_COUNTER), 1);
  }

  /** Counters of every slot now: the start of a grace period. */
  snapshot(): Int32Array {
    const snap = new Int32Array(DOMAIN_SLOTS);
    for (let s = 0; s < DOMAIN_SLOTS; s++) snap[s] = Atomics.load(this.words, this.at(s, W_COUNTER));
    return snap;
  }

  /**
   * Whether the grace period that began at `snap` is over. The calling thread's
   * own slot is skipped: it asks from outside any reference to the retired memory.
   */
  graceOver(snap: Int32Array): boolean {
    const self = this.userSlot;
    const cpu = currentCpu();
    for (let s = 0; s < DOMAIN_SLOTS; s++) {
      const before = snap[s]!;
      if ((before & 1) === 0 || s === self || s === cpu) continue;
      if (Atomics.load(this.words, this.at(s, W_STATE)) === SLOT_DEAD) continue;
      if (Atomics.load(this.words, this.at(s, W_COUNTER)) === before && this.slotThreadAlive(s)) return false;
    }
    return true;
  }

  /**
   * Asks the OS about the thread of every live slot, and marks dead those
   * that are gone. A thread that died holding no lock and blocking no grace
   * period that anybody waits on is otherwise found only when somebody asks
   * about its slot, which may be never: what it left (an element it took and
   * never linked, say) would wait for that. A map's repair() asks here first.
   * Every slot is asked of the OS, never answered from this thread's recent
   * "alive" (slotThreadAlive's cache): a thread found alive a moment ago
   * may have been killed since, and a repair that took the remembered
   * answer would run nothing and leave its locks held. Returns deaths()
   * after the sweep.
   */
  noticeDeaths(): number {
    const own = this.currentSlot();
    for (let s = 0; s < DOMAIN_SLOTS; s++) {
      if (s === own || Atomics.load(this.words, this.at(s, W_STATE)) !== SLOT_ALIVE) continue;
      const tid = Atomics.load(this.words, this.at(s, W_TID));
      if (tid !== 0 && !threadAlive(tid, Atomics.load(this.words, this.at(s, W_START)))) this.noticeDeath(s, tid);
    }
    return this.deaths();
  }

  /**
   * Whether the OS thread recorded in a live slot still exists. A thread
   * that is gone is marked dead here (noticeDeath), so every later question
   * about the slot is a plain read. A positive answer is cached for
   * LIVENESS_RECHECK_MS in this thread: waiters ask once per wait slice.
   */
  private slotThreadAlive(slot: number): boolean {
    const now = performance.now();
    if (now - this.checkedAt[slot]! < LIVENESS_RECHECK_MS) return true;
    const tid = Atomics.load(this.words, this.at(slot, W_TID));
    const start = Atomics.load(this.words, this.at(slot, W_START));
    if (threadAlive(tid, start)) {
      this.checkedAt[slot] = now;
      return true;
    }
    this.noticeDeath(slot, tid);
    return false;
  }

  /**
   * The thread `tid` on `slot` is gone: the slot is dead, once. The
   * compareExchange on the task id makes exactly one noticer count the
   * death, and never for a slot that a new thread took meanwhile (its task
   * id differs).
   */
  private noticeDeath(slot: number, tid: number): void {
    const at = this.at(slot, W_TID);
    if (Atomics.compareExchange(this.words, at, tid, 0) !== tid) return;
    if (Atomics.compareExchange(this.words, this.at(slot, W_STATE), SLOT_ALIVE, SLOT_DEAD) === SLOT_ALIVE) {
      Atomics.add(this.words, W_DEATHS, 1);
    }
  }

  /**
   * The thread behind `slot` died (a terminated CPU worker): it holds nothing
   * any more. The worker runtime calls it when it sees a CPU worker exit; on
   * Linux the domain also finds such deaths by itself (slotThreadAlive).
   */
  markDead(slot: number): void {
    Atomics.store(this.words, this.at(slot, W_TID), 0);
    if (Atomics.exchange(this.words, this.at(slot, W_STATE), SLOT_DEAD) !== SLOT_DEAD) Atomics.add(this.words, W_DEATHS, 1);
  }

  /**
   * A CPU slot is reused by a new worker: alive again (its counter keeps
   * counting). After a death it is a new incarnation: its generation moves.
   */
  revive(slot: number): void {
    const st = this.at(slot, W_STATE);
    if (Atomics.load(this.words, st) === SLOT_DEAD) {
      const g = this.at(slot, W_GEN);
      Atomics.store(this.words, g, (Atomics.load(this.words, g) + 1) & GEN_MASK);
    }
    Atomics.store(this.words, st, SLOT_ALIVE);
  }

  /**
   * Whether a thread on `slot` ever died (the slot is dead, or was revived
   * after a death): only such a slot can have left a lock or a recovery
   * record behind.
   */
  slotSawDeath(slot: number): boolean {
    return Atomics.load(this.words, this.at(slot, W_STATE)) === SLOT_DEAD || Atomics.load(this.words, this.at(slot, W_GEN)) !== 0;
  }

  /**
   * Whether `owner` is a thread that died: its slot is dead, or now belongs
   * to a later incarnation, or its OS thread is gone (which marks it dead).
   */
  isDeadOwner(owner: number): boolean {
    const slot = (owner & OWNER_SLOT_MASK) - 1;
    if (slot < 0 || slot >= DOMAIN_SLOTS) return false;
    const state = Atomics.load(this.words, this.at(slot, W_STATE));
    if (state === SLOT_DEAD) return true;
    if (owner >>> OWNER_SLOT_BITS !== (Atomics.load(this.words, this.at(slot, W_GEN)) & GEN_MASK)) return true;
    return state === SLOT_ALIVE && !this.slotThreadAlive(slot);
  }
}

/** The domain maps created in this thread join unless told otherwise (created on first use). */
export function getDefaultDomain(): QuiescenceDomain {
  if (!defaultDomain) defaultDomain = QuiescenceDomain.create();
  return defaultDomain;
}

/** Makes `d` this thread's default domain (the worker runtime adopts its machine's). */
export function setDefaultDomain(d: QuiescenceDomain): void {
  defaultDomain = d;
}
