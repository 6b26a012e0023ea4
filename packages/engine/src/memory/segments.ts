import { BroadcastChannel, receiveMessageOnPort } from 'node:worker_threads';

/**
 * Shared memory that appears after a map was created (a resized table, a new
 * element chunk, a sub-array) must reach every thread that uses the map,
 * without a round trip through the main thread: a CPU meeting a table id it has
 * never seen has to read that table now, inside a lookup.
 *
 * Each map has a BroadcastChannel named after it. The thread that allocates a
 * segment posts it there; every other thread that attached the map receives it
 * synchronously with `receiveMessageOnPort` when it meets an unknown segment id.
 * A thread that attached after the post never got it, so it asks ('want') and
 * every thread holding the segment answers: idle threads from their unref'd
 * onmessage handler, busy ones the next time they drain. The wait for an answer
 * is bounded and ends in a clear error, never a hang.
 *
 * One store per map per thread (the channel and the cache are shared by every
 * attachment of the same map in a thread). Dropping a segment from every
 * thread's cache is what lets V8 free it: the map's header says which segments
 * are retired and threads drop them when they notice.
 */
type SegMessage = { t: 'seg'; id: number; sab: SharedArrayBuffer } | { t: 'want'; id: number };

const FETCH_TIMEOUT_MS = 2000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class SegmentStore {
  private readonly segs = new Map<number, SharedArrayBuffer>();
  /** Ids dropped for good (ids are never reused): a late 'seg' answer must not bring one back. */
  private readonly dropped = new Set<number>();
  private readonly channel: BroadcastChannel;
  private refs = 0;
  /** The map header's want counter (see W_SEGMENT_WANTS), once the map is built. */
  private wants: { words: Int32Array; at: number } | null = null;

  private constructor(readonly mapId: string) {
    this.channel = new BroadcastChannel(`rightsize:map:${mapId}`);
    this.channel.onmessage = (ev: unknown) => this.handle((ev as { data: SegMessage }).data);
    // The channel must not keep a process alive that has nothing else to do.
    this.channel.unref();
  }

  private static readonly stores = new Map<string, SegmentStore>();

  /** The thread's store for `mapId`, created on first use; `initial` seeds it (from a handle). */
  static open(mapId: string, initial: Iterable<[number, SharedArrayBuffer]>): SegmentStore {
    let store = SegmentStore.stores.get(mapId);
    if (!store) {
      store = new SegmentStore(mapId);
      SegmentStore.stores.set(mapId, store);
    }
    for (const [id, sab] of initial) if (!store.segs.has(id)) store.segs.set(id, sab);
    store.refs++;
    return store;
  }

  /** Releases one attachment; the last one closes the channel and forgets every segment. */
  close(): void {
    if (--this.refs > 0) return;
    this.segs.clear();
    this.channel.close();
    SegmentStore.stores.delete(this.mapId);
  }

  /** Registers a segment this thread allocated and tells every other thread. */
  publish(id: number, sab: SharedArrayBuffer): void {
    this.segs.set(id, sab);
    this.channel.postMessage({ t: 'seg', id, sab } satisfies SegMessage);
  }

  has(id: number): boolean {
    return this.segs.has(id);
  }

  /** The segment `id`, fetched from other threads if this one has not seen it yet. */
  get(id: number): SharedArrayBuffer {
    const known = this.segs.get(id);
    if (known) return known;
    this.drain();
    const got = this.segs.get(id);
    if (got) return got;
    return this.fetch(id);
  }

  /** Forgets a retired segment so that V8 can free it once no thread refers to it. */
  drop(id: number): void {
    this.segs.delete(id);
    this.dropped.add(id);
  }

  /**
   * Every segment this thread knows, for a handle that another thread
   * attaches. Negative ids (recovery records, see recovery/log.ts) are left
   * out: they are per-writer, and a thread that needs one fetches it.
   */
  entries(): [number, SharedArrayBuffer][] {
    return [...this.segs].filter(([id]) => id >= 0);
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
    } else if (m.t === 'want') {
      const sab = this.segs.get(m.id);
      if (sab) this.channel.postMessage({ t: 'seg', id: m.id, sab } satisfies SegMessage);
    }
  }

  /** Where this map counts requests for segments (answered by busy threads on their next operation). */
  setWantSignal(words: Int32Array, at: number): void {
    this.wants = { words, at };
  }

  private fetch(id: number): SharedArrayBuffer {
    this.channel.postMessage({ t: 'want', id } satisfies SegMessage);
    if (this.wants) Atomics.add(this.wants.words, this.wants.at, 1);
    const deadline = performance.now() + FETCH_TIMEOUT_MS;
    while (performance.now() < deadline) {
      // Sleep 1 ms at a time: the answer comes from another thread's event loop.
      Atomics.wait(sleepCell, 0, 0, 1);
      this.drain();
      const sab = this.segs.get(id);
      if (sab) return sab;
    }
    throw new Error(
      `rightsize: segment ${id} of map ${this.mapId} is not reachable: no thread holding the map answered within ${FETCH_TIMEOUT_MS} ms ` +
        '(was the map destroyed, or the handle taken before a resize and every other thread gone?)',
    );
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
