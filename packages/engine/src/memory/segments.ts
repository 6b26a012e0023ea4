import { BroadcastChannel, receiveMessageOnPort } from 'node:worker_threads';
import { lock, unlock, type LockOwners } from '../locks/bucket-lock.js';

/**
 * Shared memory that appears after a map was created (a resized table, a new
 * element chunk, a sub-array, a redo record, an inner map) must reach every
 * thread that uses the map, without a round trip through the main thread and
 * without waiting for any other thread: a CPU meeting a segment id it has
 * never seen has to read that segment now, inside a lookup, maybe holding a
 * bucket lock, while every other thread is busy.
 *
 * A SharedArrayBuffer reaches another thread only inside a message (or a
 * handle, which is a message too). So each map has a BroadcastChannel named
 * after it, and four rules make every segment reachable synchronously:
 *
 * 1. Publish before linking. The thread that makes a segment posts it on
 *    the channel (publish) before it stores the segment's id anywhere in
 *    shared memory. Posting puts the message in every subscribed thread's
 *    queue at once, so a subscribed thread that meets the id can always
 *    take it with `receiveMessageOnPort` (drain), never waiting.
 * 2. Publications are numbered, under a lock. publish() takes the map's
 *    publication lock, bumps the publication counter and posts under it.
 *    A lock holder that dies is taken over like any lock; nothing else is
 *    taken while holding it (a leaf of every lock order).
 * 3. A handle carries every live segment (redo records too) and the
 *    publication count it is complete up to: taken under the same lock, after
 *    a drain, so no publication is in flight.
 * 4. Attach subscribes first, then closes the gap. Under the lock it reads
 *    the counter and drains: every publication numbered above the handle's
 *    count was posted either after the subscription (it is in the queue) or
 *    before it (missed). Missed ones are the only segments a thread can
 *    lack, and they can only be asked for: the attaching thread, before it
 *    uses the map and holding no lock, asks every thread holding the map to
 *    post what it holds (idle threads answer from their event loop, busy ones
 *    at their next map operation: W_SEGMENT_WANTS), with a bounded wait and a
 *    clear error. A handle taken just before the attach (the usual case, and
 *    what the worker runtime does) has no gap.
 *
 * So once attached, a thread never waits for another to reach a segment:
 * `get` of an id it does not hold after a drain is a broken rule 1 (a bug),
 * and throws at once.
 *
 * One store per map per thread (the channel and the cache are shared by every
 * attachment of the same map in a thread). Dropping a segment from every
 * thread's cache is what lets V8 free it: the map's header says which segments
 * are retired and threads drop them when they notice.
 */
type SegMessage = { t: 'seg'; id: number; sab: SharedArrayBuffer; n: number } | { t: 'want'; n: number } | { t: 'sent'; to: number; upTo: number };

/** Where a map keeps its publication lock, counter and want signal (three words of its header). */
export interface SegmentControl {
  readonly words: Int32Array;
  /** The publication lock word; the counter is the next word, the want signal the one after. */
  readonly at: number;
  readonly owners: LockOwners;
}

/** How long an attach waits for the segments published while its handle travelled. */
const GAP_TIMEOUT_MS = 5000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** A segment id met in shared memory that this thread was never sent: rule 1 above was broken. */
export class SegmentMissingError extends Error {
  constructor(mapId: string, id: number) {
    super(`rightsize: segment ${id} of map ${mapId} is linked in shared memory but was never published to this thread (a segment must be published before it is linked; this is a bug)`);
    this.name = 'SegmentMissingError';
  }
}

export class SegmentStore {
  private readonly segs = new Map<number, SharedArrayBuffer>();
  /** Ids dropped for good (ids are never reused): a late 'seg' answer must not bring one back. */
  private readonly dropped = new Set<number>();
  private readonly channel: BroadcastChannel;
  private refs = 0;
  /** The last attachment closed: the channel is gone (a handle taken now lists nothing). */
  private closed = false;
  /** Set while this store may not answer requests: it is not complete yet (attaching), or holds the publication lock. */
  private quiet = true;
  /** Requests for segments heard while quiet, answered once it may. */
  private pendingWants: number[] = [];
  /** Publication numbers heard over the channel while attaching (null once complete). */
  private heard: Set<number> | null = null;
  /** While attaching over a gap: the request number and the highest publication count a 'sent' answered it with. */
  private asked = 0;
  private answeredUpTo = -1;

  private constructor(
    readonly mapId: string,
    private readonly ctl: SegmentControl,
  ) {
    this.channel = new BroadcastChannel(`rightsize:map:${mapId}`);
    this.channel.onmessage = (ev: unknown) => this.handle((ev as { data: SegMessage }).data);
    // The channel must not keep a process alive that has nothing else to do.
    this.channel.unref();
  }

  private static readonly stores = new Map<string, SegmentStore>();

  /** The store of a map this thread is creating: complete by construction (nothing was published before). */
  static create(mapId: string, ctl: SegmentControl): SegmentStore {
    if (SegmentStore.stores.has(mapId)) throw new Error(`rightsize: map id ${mapId} is already in use in this thread`);
    const store = new SegmentStore(mapId, ctl);
    store.quiet = false;
    store.refs = 1;
    SegmentStore.stores.set(mapId, store);
    return store;
  }

  /**
   * The thread's store for the map of a handle: the one already open, or a
   * new one subscribed, seeded from the handle and completed (rule 4). On
   * failure nothing stays open and the error says what was missing.
   */
  static attach(mapId: string, initial: Iterable<[number, SharedArrayBuffer]>, publishedUpTo: number, ctl: SegmentControl): SegmentStore {
    let store = SegmentStore.stores.get(mapId);
    if (store) {
      for (const [id, sab] of initial) if (!store.segs.has(id) && !store.dropped.has(id)) store.segs.set(id, sab);
      store.refs++;
      return store;
    }
    store = new SegmentStore(mapId, ctl);
    for (const [id, sab] of initial) store.segs.set(id, sab);
    try {
      store.complete(publishedUpTo);
    } catch (err) {
      store.channel.close();
      throw err;
    }
    store.refs = 1;
    SegmentStore.stores.set(mapId, store);
    return store;
  }

  /** Releases one attachment; the last one closes the channel and forgets every segment. */
  close(): void {
    if (--this.refs > 0) return;
    this.closed = true;
    this.segs.clear();
    this.channel.close();
    SegmentStore.stores.delete(this.mapId);
  }

  /** Runs `fn` holding the publication lock (rule 2); requests heard meanwhile are answered after. */
  private underLock<T>(fn: () => T): T {
    const { words, at, owners } = this.ctl;
    // Taking it over from a dead holder needs no repair: a publication cut
    // short either posted its message or did not, and its id was not linked.
    lock(words, at, owners.ownerId(), owners, 'segment publication lock');
    const wasQuiet = this.quiet;
    this.quiet = true;
    try {
      return fn();
    } finally {
      unlock(words, at);
      this.quiet = wasQuiet;
      if (!wasQuiet) this.answerPending();
    }
  }

  /** Registers a segment this thread allocated and tells every other thread (before its id is linked: rule 1). */
  publish(id: number, sab: SharedArrayBuffer): void {
    this.underLock(() => {
      const n = Atomics.add(this.ctl.words, this.ctl.at + 1, 1) + 1;
      this.segs.set(id, sab);
      this.channel.postMessage({ t: 'seg', id, sab, n } satisfies SegMessage);
    });
  }

  /** Every live segment this thread holds and the publication count that list is complete up to (rule 3). */
  snapshot(): { segments: [number, SharedArrayBuffer][]; publishedUpTo: number } {
    if (this.closed) return { segments: [], publishedUpTo: Atomics.load(this.ctl.words, this.ctl.at + 1) };
    return this.underLock(() => {
      this.drain();
      return { segments: [...this.segs], publishedUpTo: Atomics.load(this.ctl.words, this.ctl.at + 1) };
    });
  }

  has(id: number): boolean {
    return this.segs.has(id);
  }

  /** The segment `id`: known, or in this thread's queue (rule 1). Never waits. */
  get(id: number): SharedArrayBuffer {
    const known = this.segs.get(id);
    if (known) return known;
    this.drain();
    const got = this.segs.get(id);
    if (got) return got;
    throw new SegmentMissingError(this.mapId, id);
  }

  /** Forgets a retired segment so that V8 can free it once no thread refers to it. */
  drop(id: number): void {
    this.segs.delete(id);
    this.dropped.add(id);
  }

  /** Every segment this thread knows (redo records included). */
  entries(): [number, SharedArrayBuffer][] {
    return [...this.segs];
  }

  /** Takes every pending message now (segments posted, requests to answer). */
  drain(): void {
    for (;;) {
      const m = receiveMessageOnPort(this.channel as unknown as Parameters<typeof receiveMessageOnPort>[0]);
      if (m === undefined) return;
      this.handle(m.message as SegMessage);
    }
  }

  private handle(m: SegMessage): void {
    if (m.t === 'seg') {
      if (!this.segs.has(m.id) && !this.dropped.has(m.id)) this.segs.set(m.id, m.sab);
      if (this.heard !== null && m.n > 0) this.heard.add(m.n);
    } else if (m.t === 'want') {
      if (this.quiet) this.pendingWants.push(m.n);
      else this.answer(m.n);
    } else if (m.to === this.asked && m.upTo > this.answeredUpTo) {
      this.answeredUpTo = m.upTo;
    }
  }

  private answerPending(): void {
    const wants = this.pendingWants;
    if (wants.length === 0) return;
    this.pendingWants = [];
    for (const n of wants) this.answer(n);
  }

  /**
   * Posts every segment this complete store holds, then says up to which
   * publication count that was. No lock: a publication still in flight when
   * the count is read posts after the request was made, so after the asker
   * subscribed: the asker gets it from the channel itself.
   */
  private answer(request: number): void {
    const upTo = Atomics.load(this.ctl.words, this.ctl.at + 1);
    this.drain();
    for (const [id, sab] of this.segs) this.channel.postMessage({ t: 'seg', id, sab, n: 0 } satisfies SegMessage);
    this.channel.postMessage({ t: 'sent', to: request, upTo } satisfies SegMessage);
  }

  /**
   * Rule 4, in a store that subscribed a moment ago and holds the handle's
   * segments: finds the publications it missed and, if any, asks for them.
   */
  private complete(publishedUpTo: number): void {
    this.heard = new Set();
    let now = 0;
    this.underLock(() => {
      now = Atomics.load(this.ctl.words, this.ctl.at + 1);
      this.drain();
    });
    let missed = 0;
    for (let n = publishedUpTo + 1; n <= now; n++) if (!this.heard.has(n)) missed++;
    this.heard = null;
    if (missed > 0) this.askForGap(missed, now);
    this.quiet = false;
    this.answerPending();
  }

  private askForGap(missed: number, upTo: number): void {
    this.asked = 1 + Math.floor(Math.random() * 0x7ffffffe);
    this.channel.postMessage({ t: 'want', n: this.asked } satisfies SegMessage);
    Atomics.add(this.ctl.words, this.ctl.at + 2, 1);
    const deadline = performance.now() + GAP_TIMEOUT_MS;
    while (this.answeredUpTo < upTo) {
      if (performance.now() > deadline) {
        throw new Error(
          `rightsize: cannot attach map ${this.mapId}: ${missed} segment(s) were published after this handle was taken and before this thread subscribed, ` +
            `and no thread holding the map sent them within ${GAP_TIMEOUT_MS} ms. Take a fresh handle (map.handle) in a thread that has the map attached, just before attaching.`,
        );
      }
      // Sleep 1 ms at a time: the answer comes from another thread. Only an
      // attach over a gap waits so; no map operation ever does.
      Atomics.wait(sleepCell, 0, 0, 1);
      this.drain();
    }
  }

  /**
   * Answers other threads attaching over a gap (see W_SEGMENT_WANTS): one
   * plain read when nobody asks. Map operations of every type call it.
   */
  answerWants(seen: number): number {
    const w = this.ctl.words[this.ctl.at + 2]!;
    if (w !== seen) this.drain();
    return w;
  }
}

/** Rounds a byte count up to a multiple of `align` (a power of two). */
export function alignUp(n: number, align: number): number {
  return (n + align - 1) & ~(align - 1);
}

/** 64 bytes: one cache line. Words that different CPUs write sit this far apart. */
export const CACHE_LINE = 64;
/** Int32 words per cache line. */
export const LINE_WORDS = CACHE_LINE / 4;

/** A fresh random id for a map (names its channel and its segments' owner). */
export function newMapId(): string {
  const a = new Uint32Array(4);
  crypto.getRandomValues(a);
  return [...a].map((x) => x.toString(16).padStart(8, '0')).join('');
}

/**
 * The most bytes one shared area of a map (a bucket array, an element pool, an
 * array's slots) may take at creation. The kernel refuses a hash map whose
 * bucket array passes U32_MAX bytes (-E2BIG). Here it also keeps the process
 * alive: V8 reserves a huge SharedArrayBuffer lazily, so a map of 2^30 buckets
 * (16 GiB) is "allocated" and the process is then OOM-killed while the map
 * initialises it, instead of failing cleanly.
 */
export const MAX_AREA_BYTES = 2 ** 32 - 1;

/**
 * A new shared area of `bytes` for a map being created. `field` names the spec
 * field that sized it: an area over MAX_AREA_BYTES, or an allocation the
 * platform refuses, throws a RangeError naming that field.
 */
export function allocArea(bytes: number, field: string, what: string): SharedArrayBuffer {
  if (bytes > MAX_AREA_BYTES) {
    throw new RangeError(`${field}: the ${what} would take ${bytes} bytes, over the limit of ${MAX_AREA_BYTES} bytes for one map area`);
  }
  try {
    return new SharedArrayBuffer(bytes);
  } catch (e) {
    throw new RangeError(`${field}: cannot allocate the ${what} (${bytes} bytes): ${(e as Error).message}`);
  }
}
