/**
 * Lock words in shared memory, futex style.
 *
 * A lock word is 0 when free, otherwise the owner's id (1..2^30-1: a thread
 * slot of the quiescence domain, plus one) with WAITERS or-ed in once somebody
 * sleeps on it. Taking a free lock is one compareExchange. On contention the
 * caller spins a little (the holder's critical sections are a few hundred
 * nanoseconds), then records itself as a waiter and sleeps in `Atomics.wait`
 * with a short timeout. The holder calls `Atomics.notify` only when WAITERS is
 * set (a notify with nobody waiting costs ~33 ns here, more than the lock).
 *
 * Every wait is bounded: a waiter re-checks after each slice whether the owner
 * is still alive (a CPU worker can be terminated while holding a lock) and gives
 * up with a LockTimeoutError after `lockTimeoutMs`, so a bug fails a test
 * instead of hanging it.
 */
export const WAITERS = 1 << 30;
export const OWNER_MASK = WAITERS - 1;

const SPINS = 100;
const SLICE_MS = 2;
let lockTimeoutMs = 10_000;

/** How long a waiter waits for a live owner before LockTimeoutError. Tests lower it. */
export function setLockTimeout(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`lock timeout must be a positive number of ms, got ${ms}`);
  lockTimeoutMs = ms;
}

/** Tells the lock whether an owner id belongs to a thread that died. */
export interface OwnerLiveness {
  isDeadOwner(owner: number): boolean;
}

/** Liveness plus the calling thread's own owner id (the quiescence domain provides both). */
export interface LockOwners extends OwnerLiveness {
  ownerId(): number;
}

export class LockTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly owner: number,
    readonly waitedMs: number,
  ) {
    super(`rightsize: ${what} still held by owner ${owner} after ${Math.round(waitedMs)} ms (deadlock, or a stuck owner)`);
    this.name = 'LockTimeoutError';
  }
}

/** The dead owner the last RECOVERED lock of this thread was taken from (a module variable is per thread). */
let stolenFrom = 0;

/** `lock` took the lock normally. */
export const LOCKED = 0;
/** `lock` took the lock from a dead owner: what it protects may be half-written. */
export const RECOVERED = 1;

/**
 * Takes the lock at `words[i]` for `owner`. Returns LOCKED, or RECOVERED when the
 * previous owner died holding it (the caller must repair what it protects).
 * The successful compareExchange is a full barrier: everything the previous
 * owner wrote before its unlock is visible to us.
 */
export function lock(words: Int32Array, i: number, owner: number, liveness: OwnerLiveness, what = 'lock'): number {
  if (Atomics.compareExchange(words, i, 0, owner) === 0) return LOCKED;
  return lockSlow(words, i, owner, liveness, what);
}

function lockSlow(words: Int32Array, i: number, owner: number, liveness: OwnerLiveness, what: string): number {
  let spins = 0;
  let start = 0;
  for (;;) {
    let cur = Atomics.load(words, i);
    if (cur === 0) {
      if (Atomics.compareExchange(words, i, 0, owner) === 0) return LOCKED;
      continue;
    }
    const holder = cur & OWNER_MASK;
    if (holder === owner) throw new Error(`rightsize: ${what} (word ${i}) is already held by this thread (owner ${owner}): recursive locking is a bug`);
    if (spins < SPINS) {
      spins++;
      continue;
    }
    if (start === 0) start = performance.now();
    if (liveness.isDeadOwner(holder)) {
      // Steal the lock from the dead owner. Only one waiter wins the exchange;
      // the others see a new (live) owner and keep waiting.
      if (Atomics.compareExchange(words, i, cur, owner | (cur & WAITERS)) === cur) {
        stolenFrom = holder;
        return RECOVERED;
      }
      continue;
    }
    if ((cur & WAITERS) === 0) {
      // Record that somebody sleeps, so the holder's unlock notifies.
      if (Atomics.compareExchange(words, i, cur, cur | WAITERS) !== cur) continue;
      cur |= WAITERS;
    }
    Atomics.wait(words, i, cur, SLICE_MS);
    const waited = performance.now() - start;
    if (waited > lockTimeoutMs) throw new LockTimeoutError(`${what} (word ${i})`, holder, waited);
  }
}

/**
 * Takes the lock only if it is free now; true when taken (release it with
 * `unlock`). Never waits, and never takes a lock over from a dead owner: for
 * a checker, which must not change what it looks at.
 */
export function tryLock(words: Int32Array, i: number, owner: number): boolean {
  return Atomics.compareExchange(words, i, 0, owner) === 0;
}

/**
 * Takes the lock like `lock`, and when it was taken over from a dead owner
 * runs `recover` (the repair of what the lock protects) before returning.
 *
 * A failure inside `recover` must not leave the lock held by a live owner
 * that will never release it: the caller's try/finally starts only after
 * this returns. So if `recover` throws, the lock goes back to the dead owner
 * it was taken from (the WAITERS bit kept), and the error propagates. The
 * next taker then finds a dead owner again and runs its own recovery from
 * the start: every recovery is written to be redone (a seqlock left odd is
 * closed, a replayed record is replayed again, whole).
 */
export function lockRecover(words: Int32Array, i: number, owner: number, liveness: OwnerLiveness, what: string, recover: () => void): number {
  const r = lock(words, i, owner, liveness, what);
  if (r !== RECOVERED) return r;
  const dead = stolenFrom;
  try {
    recover();
  } catch (err) {
    for (;;) {
      const cur = Atomics.load(words, i);
      if ((cur & OWNER_MASK) !== owner) break;
      if (Atomics.compareExchange(words, i, cur, dead | (cur & WAITERS)) === cur) break;
    }
    throw err;
  }
  return r;
}

/**
 * Releases the lock. The exchange is a full barrier: our writes under the lock
 * are visible to the next owner. Waiters are woken all at once (they cleared
 * nothing, so the ones that lose the race set WAITERS again before sleeping).
 */
export function unlock(words: Int32Array, i: number): void {
  const prev = Atomics.exchange(words, i, 0);
  if ((prev & WAITERS) !== 0) Atomics.notify(words, i);
}

/** Whether the lock is held (by anyone), for consistency checks. */
export function isLocked(words: Int32Array, i: number): boolean {
  return Atomics.load(words, i) !== 0;
}
