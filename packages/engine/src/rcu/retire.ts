import { DOMAIN_SLOTS, type QuiescenceDomain } from './domain.js';

/**
 * Memory retired by a resizable map (an old table, a dropped sub-array, a
 * swapped-out inner map), waiting for its grace period.
 *
 * Lives in shared memory so that any thread can finish a reclaim another one
 * started: each slot holds [state, segment id, bytes (low, high)] and the
 * domain snapshot taken when the memory was unpublished. `reclaim` frees the
 * slots whose grace period is over. Freeing means: the map stops counting the
 * bytes and tells its threads to drop the segment; V8 returns the buffer once
 * the last thread's reference is gone (a thread in the middle of a read still
 * holds the view, so JavaScript itself rules out a use after free; the grace
 * period is what makes the accounting, and the reuse of ids, honest).
 *
 * A slot's state goes FREE -> FILLING -> PENDING -> FREEING -> FREE, each step
 * a compareExchange, so two reclaimers never free the same slot twice. The two
 * passing states carry the owner id of the thread in them (owner ids stay
 * below 2^30, so bit 30 or 31 tags them): a thread killed inside one leaves a
 * slot that `recoverDead` gives back, instead of a slot lost for good.
 */
const FREE = 0;
const PENDING = 2;
const FILLING_TAG = 1 << 30;
const FREEING_TAG = 1 << 31;
const OWNER_BITS = FILLING_TAG - 1;
const W_STATE = 0;
const W_SEG = 1;
const W_BYTES_LO = 2;
const W_BYTES_HI = 3;
const SLOT_WORDS = 4 + DOMAIN_SLOTS;

export function retireQueueWords(slots: number): number {
  return slots * SLOT_WORDS;
}

export class RetireQueue {
  constructor(
    readonly words: Int32Array,
    readonly at: number,
    readonly slots: number,
    readonly domain: QuiescenceDomain,
  ) {}

  private base(i: number): number {
    return this.at + i * SLOT_WORDS;
  }

  /** The bytes recorded in the slot at word `b` (two words: a table can pass 2 GiB). */
  private bytesAt(b: number): number {
    return this.words[b + W_BYTES_LO]! + this.words[b + W_BYTES_HI]! * 2 ** 31;
  }

  /**
   * Queues segment `seg` (`bytes` long), unpublished just now. Returns false
   * when every slot is busy (the caller reports -EBUSY: earlier memory is
   * still in its grace period).
   */
  retire(seg: number, bytes: number): boolean {
    for (let i = 0; i < this.slots; i++) {
      const b = this.base(i);
      if (Atomics.compareExchange(this.words, b + W_STATE, FREE, FILLING_TAG | this.domain.ownerId()) !== FREE) continue;
      this.words[b + W_SEG] = seg;
      this.words[b + W_BYTES_LO] = bytes % 2 ** 31;
      this.words[b + W_BYTES_HI] = Math.floor(bytes / 2 ** 31);
      const snap = this.domain.snapshot();
      this.words.set(snap, b + 4);
      Atomics.store(this.words, b + W_STATE, PENDING);
      return true;
    }
    return false;
  }

  /**
   * Whether a slot waits whose grace period is over (a reclaim now would
   * free it). A hint, read without any lock: a caller that serialises its
   * reclaims under a lock of its own asks here first, and takes that lock
   * only when there is something to free.
   */
  due(): boolean {
    for (let i = 0; i < this.slots; i++) {
      const b = this.base(i);
      if (Atomics.load(this.words, b + W_STATE) === PENDING && this.domain.graceOver(this.words.subarray(b + 4, b + 4 + DOMAIN_SLOTS))) return true;
    }
    return false;
  }

  /** Frees every slot whose grace period is over; `free` is called once per freed segment. */
  reclaim(free: (seg: number, bytes: number) => void): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      const b = this.base(i);
      if (Atomics.load(this.words, b + W_STATE) !== PENDING) continue;
      if (!this.domain.graceOver(this.words.subarray(b + 4, b + 4 + DOMAIN_SLOTS))) continue;
      if (Atomics.compareExchange(this.words, b + W_STATE, PENDING, FREEING_TAG | this.domain.ownerId()) !== PENDING) continue;
      const seg = this.words[b + W_SEG]!;
      free(seg, this.bytesAt(b));
      Atomics.store(this.words, b + W_STATE, FREE);
      n++;
    }
    return n;
  }

  /**
   * After CPU deaths (the map's repair): gives back every slot a dead thread
   * was filling or freeing. A retire cut short is lost (what it retired was
   * unpublished and is no longer counted as waiting: the map's repair
   * recounts its bytes); a free cut short is done again by `redoFree` (the
   * map's free callback may thus run twice for one segment, and must allow
   * it). Returns the slots given back.
   */
  recoverDead(redoFree: (seg: number, bytes: number) => void): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      const b = this.base(i);
      const st = Atomics.load(this.words, b + W_STATE);
      if (st === FREE || st === PENDING) continue;
      if (!this.domain.isDeadOwner(st & OWNER_BITS)) continue;
      if ((st & FREEING_TAG) !== 0) {
        if (Atomics.compareExchange(this.words, b + W_STATE, st, FREEING_TAG | this.domain.ownerId()) !== st) continue;
        redoFree(this.words[b + W_SEG]!, this.bytesAt(b));
        Atomics.store(this.words, b + W_STATE, FREE);
      } else if (Atomics.compareExchange(this.words, b + W_STATE, st, FREE) !== st) continue;
      n++;
    }
    return n;
  }

  /** Bytes of the segments still waiting for their grace period (they still count as held). */
  pendingBytes(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) {
      const b = this.base(i);
      if (Atomics.load(this.words, b + W_STATE) !== PENDING) continue;
      n += this.bytesAt(b);
    }
    return n;
  }

  /** Segments still waiting for their grace period. */
  pending(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.slots; i++) {
      const b = this.base(i);
      const st = Atomics.load(this.words, b + W_STATE);
      if (st === PENDING || (st & FREEING_TAG) !== 0) out.push(this.words[b + W_SEG]!);
    }
    return out;
  }
}
