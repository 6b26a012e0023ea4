import type { BucketIndex, ElementId } from '../maps/chained/ids.js';
import { BUCKET_WORDS, HEAD, MOVED } from '../maps/chained/table.js';
import type { HashResizeMap } from '../maps/hash-resize/hash-resize-map.js';
import { maxBucketsFor } from '../maps/hash-resize/hash-resize-map.js';
import { BOUND_PEAK, CURSOR, DIR, DONE, ENTRIES, EPOCH, FIRST_TABLE_SEG, FUT, GROW, MAX_ENTRIES, MIN_BUCKETS, NEXT_SEG, OLD_NB, R_LOCK, SHRINK, CUR } from '../maps/hash-resize/layout.js';
import type { TableView } from '../maps/hash-resize/tables.js';
import { isPowerOfTwo } from '../spec/map-spec.js';
import { walkChains, type ChainWalk } from './chains.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

/**
 * hash_resize, read from its shared words (not from any thread's cached
 * views): the table state (EPOCH even, CUR a live table, FUT 0 or a table
 * of twice or half CUR's buckets as DIR says, the migration cursor and count
 * within the old table), the resize lock free, every chain of CUR and FUT,
 * no key linked in both tables (an old bucket not yet migrated may share
 * keys with nobody: new keys go to FUT after its search found none), and
 * the element pool: each chunk's free list and live count, no element both
 * free and linked, none neither (a leak), none linked in a released chunk.
 * ENTRIES must equal the entries linked in CUR and FUT together, and the
 * elements the pool handed out; stats().bytes what the map holds
 * (HashResizeMap.bytesAccount: read under the locks every byte change is
 * made under, taken only if free).
 */
export function verifyHashResize(map: HashResizeMap, f: Findings): void {
  const label = 'hash_resize';
  const w = map.header.words;
  // This thread's chunk views first: a chunk released since its last
  // operation may have been made again at the same index (a new buffer),
  // and reading it through the old view would report junk. (Not the table
  // state: a broken one, say an odd EPOCH, is what this reports.)
  map.segments.drain();
  map.pool.forgetReleased();
  const spec = map.spec;
  const domain = map.domain;
  const rlock = Atomics.load(w, R_LOCK);
  if (rlock !== 0) f.problem(`${label}: resize lock ${describeLock(domain, rlock)} while the map is quiescent`);
  const epoch = Atomics.load(w, EPOCH);
  if ((epoch & 1) !== 0) f.problem(`${label}: EPOCH ${epoch} is odd (a table switch never finished)`);
  const curId = Atomics.load(w, CUR);
  const futId = Atomics.load(w, FUT);
  const nextSeg = Atomics.load(w, NEXT_SEG);
  // A table may outlive a lowered bound (setMaxEntries) until it shrinks: the highest bound so far bounds its buckets.
  const peak = Atomics.load(w, BOUND_PEAK);
  const bound = Atomics.load(w, MAX_ENTRIES);
  if (peak < bound || peak < spec.maxEntries) f.problem(`${label}: BOUND_PEAK ${peak} is below the bound ${bound} or spec.maxEntries ${spec.maxEntries}`);
  const maxBuckets = maxBucketsFor(Math.max(peak, bound));
  const cur = tableOf(map, f, 'CUR', curId, nextSeg);
  if (!cur) return;
  if (cur.nb > maxBuckets) f.problem(`${label}: CUR has ${cur.nb} buckets, over the ${maxBuckets} the highest bound so far (${Math.max(peak, bound)}) allows`);
  const fut = futId === 0 ? null : tableOf(map, f, 'FUT', futId, nextSeg);
  if (futId !== 0 && !fut) return;
  const pool = map.pool;
  // Every element id a chain may hold (more is a problem walkChains reports).
  const capacity = pool.span() * pool.chunk;
  const seed = map.header.seed;
  const curWalk = walkChains(f, `${label} CUR table ${curId}`, cur.t, { capacity, seed, allowMoved: fut !== null, domain });
  let linked = curWalk.linked;
  const reached = curWalk.reached;
  if (fut) {
    const dir = Atomics.load(w, DIR);
    const want = dir === GROW ? cur.nb * 2 : dir === SHRINK ? cur.nb >>> 1 : -1;
    if (fut.nb !== want) f.problem(`${label}: FUT has ${fut.nb} buckets; a ${dir === GROW ? 'grow' : dir === SHRINK ? 'shrink' : `resize of unknown direction ${dir}`} of ${cur.nb} makes ${want}`);
    if (fut.nb > maxBuckets) f.problem(`${label}: FUT has ${fut.nb} buckets, over the bound ${maxBuckets}`);
    const oldNb = Atomics.load(w, OLD_NB);
    if (oldNb !== cur.nb) f.problem(`${label}: OLD_NB ${oldNb}, but CUR has ${cur.nb} buckets`);
    const cursor = Atomics.load(w, CURSOR);
    const done = Atomics.load(w, DONE);
    if (cursor < 0 || cursor > oldNb) f.problem(`${label}: migration CURSOR ${cursor} is outside 0..${oldNb}`);
    if (done < 0 || done > oldNb) f.problem(`${label}: migrated count DONE ${done} is outside 0..${oldNb}`);
    const futWalk = walkChains(f, `${label} FUT table ${futId}`, fut.t, { capacity, seed, allowMoved: false, domain });
    for (let e = 0; e < capacity; e++) {
      if (futWalk.reached[e] === 0) continue;
      if (reached[e] !== 0) f.problem(`${label}: element ${e} is linked in both CUR and FUT`);
      reached[e] = 1;
    }
    checkNotInBoth(f, label, cur, fut, futWalk);
    linked += futWalk.linked;
  } else if (curWalk.moved > 0) {
    f.problem(`${label}: ${curWalk.moved} MOVED bucket(s) in CUR with no resize under way`);
  }
  checkPool(f, label, map, reached);
  const entries = Atomics.load(w, ENTRIES);
  if (entries !== linked) f.problem(`${label}: ENTRIES counter ${entries}, ${linked} entries linked in CUR and FUT`);
  const cached = pool.cachedElements().length;
  if (pool.allocated() !== linked + cached) f.problem(`${label}: the pool handed out ${pool.allocated()} elements, ${linked} are linked and ${cached} in CPU caches`);
  if (linked > bound) f.problem(`${label}: ${linked} entries, over the bound ${bound} (maxEntries, as setMaxEntries left it)`);
  for (const seg of map.retire.pending()) {
    if (seg === curId || seg === futId) f.problem(`${label}: live table ${seg} is waiting in the retire queue`);
  }
  // Null when R_LOCK or the pool lock is held: reported above as a lock held while quiescent.
  const bytes = map.bytesAccount();
  if (bytes !== null && bytes.counted !== bytes.held) {
    f.problem(`${label}: stats().bytes says ${bytes.counted}, the map holds ${bytes.held} (control and pool segments, CUR and FUT, chunks, directory pages, retired memory)`);
  }
  f.count('tables', fut ? 2 : 1);
}

/** This thread's view of table segment `id`; null (and a problem) when it is not a sane table. */
function tableOf(map: HashResizeMap, f: Findings, role: string, id: number, nextSeg: number): TableView | null {
  if (id < FIRST_TABLE_SEG || id >= nextSeg) {
    f.problem(`hash_resize: ${role} is segment ${id}, not a table id handed out (next ${nextSeg})`);
    return null;
  }
  let view: TableView;
  try {
    view = map.tableAt(id);
  } catch (e) {
    f.problem(`hash_resize: ${role} table ${id} is not reachable: ${(e as Error).message}`);
    return null;
  }
  if (!isPowerOfTwo(view.nb) || view.nb < MIN_BUCKETS) {
    f.problem(`hash_resize: ${role} table ${id} has ${view.nb} buckets (a power of two >= ${MIN_BUCKETS} expected)`);
    return null;
  }
  return view;
}

/** A FUT entry whose CUR bucket is not MOVED must not have its key in that bucket too. */
function checkNotInBoth(f: Findings, label: string, cur: TableView, fut: TableView, futWalk: ChainWalk): void {
  const keySize = cur.t.store.layout.keySize;
  const key = new Uint8Array(keySize);
  const k32 = new Int32Array((keySize + 3) >>> 2);
  const k8 = new Uint8Array(k32.buffer, 0, keySize);
  for (let e = 0 as ElementId; e < futWalk.reached.length; e++) {
    if (futWalk.reached[e] === 0) continue;
    const h = fut.t.hashOf(e);
    const ob = (h & cur.t.mask) as BucketIndex;
    if (Atomics.load(cur.t.buckets, ob * BUCKET_WORDS + HEAD) === MOVED) continue;
    fut.t.copyKey(e, key);
    k8.set(key);
    const other = findUnlocked(cur, ob, h, k32);
    if (other >= 0) f.problem(`${label}: the key of FUT element ${e} is also in CUR bucket ${ob} (element ${other}): live in both tables`);
  }
}

/** The element of bucket b holding the key, walking with plain reads (the map is quiescent). */
function findUnlocked(T: TableView, b: BucketIndex, h: number, k: Int32Array): ElementId {
  const store = T.t.store;
  let e = T.t.buckets[b * BUCKET_WORDS + HEAD]! as ElementId;
  for (let steps = 0; e >= 0 && steps <= store.maxElements; steps++) {
    const words = store.words(e);
    const base = store.base(e);
    if (T.t.hashOf(e) === h && T.t.keyEquals(words, base, k)) return e;
    e = words[base]! as ElementId;
  }
  return -1 as ElementId;
}

/** The element pool against the elements linked in the tables (`reached`). */
function checkPool(f: Findings, label: string, map: HashResizeMap, reached: Uint8Array): void {
  const pool = map.pool;
  const lockWord = pool.lockWord();
  if (lockWord !== 0) f.problem(`${label} pool: lock ${describeLock(map.domain, lockWord)} while the map is quiescent`);
  const sharedLock = pool.sharedLockWord();
  if (sharedLock !== 0) f.problem(`${label} pool: shared cache lock ${describeLock(map.domain, sharedLock)} while the map is quiescent`);
  let allocated = 0;
  let free = 0;
  let chunks = 0;
  // Elements in the CPUs' caches: free, counted as handed out, in no chain.
  const cached = new Uint8Array(reached.length);
  for (const e of pool.cachedElements()) {
    if (e < 0 || e >= reached.length) {
      f.problem(`${label} pool: a CPU cache holds ${e}, not an element index`);
      continue;
    }
    if (cached[e] !== 0) f.problem(`${label} pool: element ${e} is in the CPU caches twice`);
    if (reached[e] !== 0) f.problem(`${label} pool: element ${e} is cached and linked`);
    const id = pool.chunkId(e >>> pool.shift);
    if (id <= 0) f.problem(`${label} pool: element ${e} is cached, but its chunk ${e >>> pool.shift} ${id === 0 ? 'does not exist' : 'was released'}`);
    cached[e] = 1;
  }
  const span = Math.ceil(reached.length / pool.chunk);
  for (let c = 0; c < span; c++) {
    const first = c << pool.shift;
    const id = pool.chunkId(c);
    if (id <= 0) {
      for (let e = first; e < first + pool.chunk; e++) {
        if (reached[e] !== 0) {
          f.problem(`${label} pool: element ${e} is linked, but its chunk ${c} ${id === 0 ? 'does not exist' : 'was released'}`);
          break;
        }
      }
      continue;
    }
    chunks++;
    const list = pool.freeList(c);
    if (list.length > pool.chunk) f.problem(`${label} pool: chunk ${c}'s free list is longer than the chunk (a cycle)`);
    const onFree = new Uint8Array(pool.chunk);
    for (const e of list.slice(0, pool.chunk)) {
      if (e < first || e >= first + pool.chunk) {
        f.problem(`${label} pool: chunk ${c}'s free list holds element ${e} of another chunk`);
        continue;
      }
      if (onFree[e - first] !== 0) f.problem(`${label} pool: element ${e} is on chunk ${c}'s free list twice`);
      onFree[e - first] = 1;
      if (reached[e] !== 0) f.problem(`${label} pool: element ${e} is free and linked`);
      if (cached[e] !== 0) f.problem(`${label} pool: element ${e} is on a free list and in a CPU cache`);
    }
    let leaked = 0;
    let linkedHere = 0;
    let cachedHere = 0;
    for (let i = 0; i < pool.chunk; i++) {
      if (reached[first + i] !== 0) linkedHere++;
      else if (cached[first + i] !== 0) cachedHere++;
      else if (onFree[i] === 0) leaked++;
    }
    if (leaked > 0) f.problem(`${label} pool: ${leaked} element(s) of chunk ${c} neither linked, nor cached, nor free (leaked)`);
    if (pool.liveIn(c) !== linkedHere + cachedHere) f.problem(`${label} pool: chunk ${c} counts ${pool.liveIn(c)} live elements, ${linkedHere} are linked and ${cachedHere} cached`);
    allocated += pool.liveIn(c);
    free += list.length;
  }
  if (pool.allocated() !== allocated) f.problem(`${label} pool: ${pool.allocated()} elements handed out, the chunks count ${allocated}`);
  f.count('chunks', chunks);
  f.count('freeElements', free);
}
