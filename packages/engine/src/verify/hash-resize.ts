import { BUCKET_WORDS, HEAD, MOVED, type ChainedTable } from '../maps/hash/table.js';
import type { HashResizeMap } from '../maps/hash-resize/hash-resize-map.js';
import {
  CUR, CURSOR, DIR, DONE, ENTRIES, EPOCH, FIRST_TABLE_SEG, FUT, GROW, MIN_BUCKETS, NEXT_SEG, OLD_NB, RETIRE_SLOTS, R_LOCK, SEG_CONTROL, SHRINK,
} from '../maps/hash-resize/layout.js';
import { RetireQueue } from '../rcu/retire.js';
import { isPowerOfTwo, nextPowerOfTwo } from '../spec/map-spec.js';
import { checkPool, walkChains, type ChainWalk } from './chains.js';
import { describeLock } from './owners.js';
import type { Findings } from './report.js';

interface TableView {
  id: number;
  nb: number;
  t: ChainedTable;
}

/**
 * hash_resize, read from its shared words (not from any thread's cached
 * views): the table state (EPOCH even, CUR a live table, FUT 0 or a table
 * of twice or half CUR's buckets as DIR says, the migration cursor and count
 * within the old table, CUR within the bound maxEntries allows), the resize
 * lock free, then every chain of CUR and FUT and both pools. While a resize
 * is under way CUR may hold MOVED buckets (their entries are in FUT, their
 * elements stay allocated until CUR is retired), and every FUT entry must
 * come from a MOVED bucket of CUR, so no key is live in both tables.
 * ENTRIES must equal the entries linked in CUR and FUT together.
 */
export function verifyHashResize(map: HashResizeMap, f: Findings): void {
  const label = 'hash_resize';
  const w = map.header.words;
  const spec = map.spec;
  const rlock = Atomics.load(w, R_LOCK);
  if (rlock !== 0) f.problem(`${label}: resize lock ${describeLock(map.domain, rlock)} while the map is quiescent`);
  const epoch = Atomics.load(w, EPOCH);
  if ((epoch & 1) !== 0) f.problem(`${label}: EPOCH ${epoch} is odd (a table switch never finished)`);
  const curId = Atomics.load(w, CUR);
  const futId = Atomics.load(w, FUT);
  const nextSeg = Atomics.load(w, NEXT_SEG);
  const maxBuckets = Math.max(MIN_BUCKETS, nextPowerOfTwo(Math.ceil(spec.maxEntries / spec.resize.growAt)));
  const cur = tableOf(map, f, 'CUR', curId, nextSeg);
  if (!cur) return;
  if (cur.nb > maxBuckets) f.problem(`${label}: CUR has ${cur.nb} buckets, over the ${maxBuckets} maxEntries ${spec.maxEntries} allows`);
  const fut = futId === 0 ? null : tableOf(map, f, 'FUT', futId, nextSeg);
  if (futId !== 0 && !fut) return;
  const seed = map.header.seed;
  const domain = map.domain;
  const curWalk = walkChains(f, `${label} CUR table ${curId}`, cur.t, { capacity: cur.nb, seed, allowMoved: fut !== null, domain });
  checkPool(f, `${label} CUR table ${curId}`, cur.t.alloc, curWalk, { count: fut ? 'allocated' : 'linked', domain });
  let linked = curWalk.linked;
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
    const futWalk = walkChains(f, `${label} FUT table ${futId}`, fut.t, { capacity: fut.nb, seed, allowMoved: false, domain });
    checkPool(f, `${label} FUT table ${futId}`, fut.t.alloc, futWalk, { count: 'linked', domain });
    checkFromMoved(f, label, cur, fut, futWalk);
    linked += futWalk.linked;
  } else if (curWalk.moved > 0) {
    f.problem(`${label}: ${curWalk.moved} MOVED bucket(s) in CUR with no resize under way`);
  }
  const entries = Atomics.load(w, ENTRIES);
  if (entries !== linked) f.problem(`${label}: ENTRIES counter ${entries}, ${linked} entries linked in CUR and FUT`);
  if (linked > spec.maxEntries) f.problem(`${label}: ${linked} entries, over maxEntries ${spec.maxEntries}`);
  const retire = new RetireQueue(new Int32Array(map.segments.get(SEG_CONTROL)), 0, RETIRE_SLOTS, domain);
  for (const seg of retire.pending()) {
    if (seg === curId || seg === futId) f.problem(`${label}: live table ${seg} is waiting in the retire queue`);
  }
  f.count('tables', fut ? 2 : 1);
}

/** This thread's view of table segment `id`; null (and a problem) when it is not a sane table. */
function tableOf(map: HashResizeMap, f: Findings, role: string, id: number, nextSeg: number): TableView | null {
  if (id < FIRST_TABLE_SEG || id >= nextSeg) {
    f.problem(`hash_resize: ${role} is segment ${id}, not a table id handed out (next ${nextSeg})`);
    return null;
  }
  let view: { nb: number; t: ChainedTable };
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
  return { id, nb: view.nb, t: view.t };
}

/** Every FUT entry's bucket in CUR must be MOVED: otherwise its key could be live in both tables. */
function checkFromMoved(f: Findings, label: string, cur: TableView, fut: TableView, futWalk: ChainWalk): void {
  for (let e = 0; e < fut.nb; e++) {
    if (futWalk.reached[e] === 0) continue;
    const ob = fut.t.hashOf(e) & cur.t.mask;
    if (Atomics.load(cur.t.buckets, ob * BUCKET_WORDS + HEAD) !== MOVED) {
      f.problem(`${label}: FUT element ${e} belongs to CUR bucket ${ob}, which is not MOVED (its key may be live in both tables)`);
    }
  }
}
