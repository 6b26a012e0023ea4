import { currentCpu } from '../../context.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno, updateFlagsValid } from '../../errno.js';
import { hashKeySigned, randomSeed } from '../../hash/hasher.js';
import { xxh32U32Signed } from '../../hash/xxh32.js';
import { tryLock, type LockOwners } from '../../locks/bucket-lock.js';
import { markLinked, withAllBuckets } from '../chained/repair.js';
import { RecoveryLog, type LogRecord } from '../../recovery/log.js';
import { SegmentStore, newMapId } from '../../memory/segments.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import { RetireQueue, retireQueueWords } from '../../rcu/retire.js';
import { nextPowerOfTwo, requireInt, type NormalizedSpec } from '../../spec/map-spec.js';
import { MapBase, type BatchWalker, type MapParts } from '../base.js';
import { MapHeader, W_DESTROYED } from '../header.js';
import type { BatchOptions, BatchResult, MapHandle, MapStats } from '../map.js';
import type { BucketIndex, ElementId } from '../chained/ids.js';
import { IN_NEXT_TABLE, KeyScratch, LITTLE_ENDIAN } from '../chained/table.js';
import { assertRepairLockHeld } from '../lock-contracts.js';
import { copyBytes } from '../../memory/byte-copy.js';
import { Compaction } from './compaction.js';
import { Iteration } from './iteration.js';
import {
  CHUNKS_RELEASED,
  CUR,
  CURSOR,
  DIR,
  REQUEST,
  DONE,
  EBUSY_COUNT,
  ENTRIES,
  EPOCH,
  FIRST_TABLE_SEG,
  FUT,
  GROW,
  GROWS,
  ITER_RESTARTS,
  MAX_TABLE_BUCKETS,
  MIN_BUCKETS,
  NEXT_SEG,
  OLD_NB,
  MAX_ENTRIES,
  P_LOCK,
  R_LOCK,
  BOUND_PEAK,
  RELOCATED,
  RETIRE_SLOTS,
  RETRY_COUNT,
  SEG_CONTROL,
  SEG_POOL,
  SHRINK,
  SHRINKS,
  TIME_BYTE_OFFSET,
  chunkElements,
  compactLayout,
  maxChunks,
  poolWords,
  tableWords,
} from './layout.js';
import { Migration, WHOLE_RESIZE_BATCHES } from './migration.js';
import { CACHED, ElementPool, OVER_BUDGET } from './pool.js';
import { Resizer, type ResizeLook } from './resizer.js';
import { ResizeControl } from './resize-control.js';
import { fullGrowTarget, type Decision, type DecisionRecord } from './controller.js';
import { MaxEntries } from './max-entries.js';
import { StableWalk, type ScanResult } from './stable-walk.js';
import { Tables, type TableView } from './tables.js';

// Results of one attempt under a bucket lock that are not errnos (errnos are <= 0).
/** The key is not in this table's bucket, and this table is not the newest: look in the next one. */
const NEXT_TABLE = 1;
/** This thread's view of the tables is stale: refresh and start over. */
const RESTART = 2;
/** A new key meets a resize whose newest table is already at 100% load. */
const BUSY = 3;
/** A new key meets an idle table at 100% load: grow it first (rhashtable_insert_rehash). */
const FULL = 4;

// What a write does (writeOp). Small integers, not strings: the hot path
// compares small integers as before; WriteKind keeps every other number out.
const UPDATE = 0;
const DELETE = 1;
const ADD = 2;
type WriteKind = typeof UPDATE | typeof DELETE | typeof ADD;
/** Rounds an operation may take through resizes before it is a bug, not bad luck. */
const MAX_ROUNDS = 1_000_000;
/** Table hops a lookup may take (each one follows an EPOCH change) before it is a bug. */
const MAX_HOPS = 4096;
const RETRY_SLEEP_MS = 0.05;
/**
 * With the deferred driver, tables up to this many buckets are resized by
 * the thread that crosses the watermark, before it returns (as the kernel's
 * rhashtable_insert_rehash allocates the next table at once): relinking a
 * few thousand entries costs about a millisecond, less than waking a thread,
 * and a tight insert loop from 4 buckets would otherwise outrun the
 * resizer. Bigger tables leave enough headroom (the new table takes inserts
 * up to twice the old size) for the resizer to relink them meanwhile.
 */
const INLINE_BUCKETS = 16384;
/** The deferred resizer's look that finds nothing to do. */
const NO_LOOK: ResizeLook = Object.freeze({ dir: 0, fromBuckets: 0 });
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * hash_resize: the resizable hash map (rhashtable / BPF_MAP_TYPE_RHASH, as
 * the LPC 2020 talk proposed it). Collaborators, each owning its state:
 *  - ElementPool (pool.ts): the map's elements, in chunks made as entries
 *    arrive and released as they go;
 *  - Tables (tables.ts): the table generations, bucket arrays over the pool,
 *    as this thread sees them;
 *  - Migration (migration.ts): begin, relink, finish a resize, and the lock order;
 *  - Resizer (resizer.ts): the deferred resizer thread;
 *  - Iteration (iteration.ts): getNextKey and the batch walks;
 *  - Compaction (compaction.ts): releasing empty chunks, emptying a sparse one;
 *  - this class: the API, the write rules and the EBUSY policies, repair.
 *
 * Lookups take no lock: the key's bucket in CUR under its seqlock; a MOVED
 * bucket, or a miss while a resize is under way (new keys go into the
 * future table), sends them on to FUT. A miss is confirmed by an atomic read
 * of EPOCH, so a key inserted before the lookup began is found even by a
 * thread whose view of the tables was stale. Never torn (bucket seqlocks),
 * never a phantom (an element is returned only from a validated walk).
 *
 * Writes follow rhashtable's rules. An update or delete of an existing key
 * works wherever the key is (its old bucket, not yet migrated, or the future
 * table), so it never sees -EBUSY. A new key goes into the newest table
 * (checked under its bucket lock: FUT, or CUR when idle), after its old
 * bucket was searched. -EBUSY is left where rhashtable returns it: a resize
 * is under way and the newest table is at 100% load (growth outran the
 * migration), or grow()/shrink() is asked while one runs. The policy then
 * decides: 'fail' returns it (counted), 'retry' waits for the migration a
 * bounded number of times, 'help' migrates until the resize is done.
 *
 * Who migrates ('driver'): 'deferred' the resizer thread, woken at the
 * watermarks (small tables are resized by the crossing thread: see
 * INLINE_BUCKETS); 'inline' the crossing thread migrates the whole table
 * before it returns; 'help' the crossing thread begins, and every write that
 * meets the resize migrates a batch first.
 */
export class HashResizeMap extends MapBase {
  protected readonly ks: KeyScratch;
  protected readonly seed: number;
  /** The seed for xxh32U32Signed (MapHeader.seed32). */
  protected readonly seed32: number;
  /** One-word keys: lookups take ChainedTable.lookupCopyWord. */
  private readonly wordKeys: boolean;
  /** lookupU32Into's fast part applies: 4-byte keys and values, a map userspace may read, a little-endian machine. */
  private readonly u32Word: boolean;
  readonly words: Int32Array;
  readonly time64: BigInt64Array;
  readonly retire: RetireQueue;
  readonly pool: ElementPool;
  readonly tables: Tables;
  readonly migration: Migration;
  private readonly resizer: Resizer;
  private readonly iteration: Iteration;
  private readonly compaction: Compaction;
  /** Resize decisions (controller.ts), their log, the live bound. */
  readonly control: ResizeControl;
  private readonly bound: MaxEntries;
  private readonly stableWalk: StableWalk;
  private readonly poolSegBytes: number;
  /**
   * Set while lookupAndDeleteBatch deletes the entries it returns: those
   * deletes must not shrink the table under the walk's cursor (the shrink
   * is asked for when the walk completes).
   */
  private batchDeleting = false;
  /** Set by the write under way when it inserted or deleted (only such a write asks the controller). */
  private counted = false;
  /** Redo records of value writes and migration claims (see recovery/log.ts). */
  readonly log: RecoveryLog;
  /** Lock owners as this map's locks judge them: the domain's view, and a deferred resizer whose starter died is dead too. */
  private readonly owners: LockOwners;

  constructor(parts: MapParts) {
    super(parts);
    const spec = this.spec;
    this.seed = this.header.seed;
    this.seed32 = this.header.seed32;
    const layout = compactLayout(spec.keySize, spec.valueSize);
    this.wordKeys = layout.keyWords === 1;
    this.u32Word = this.u32Fast && spec.valueSize === 4 && !spec.flags.wronly && LITTLE_ENDIAN;
    this.ks = new KeyScratch(spec.keySize);
    this.words = this.header.words;
    this.time64 = new BigInt64Array(this.header.sab, TIME_BYTE_OFFSET, 3);
    this.retire = new RetireQueue(new Int32Array(this.segments.get(SEG_CONTROL)), 0, RETIRE_SLOTS, this.domain);
    this.control = new ResizeControl(this.words, spec, this.header.sab, this.time64, () => this.bound.maxBuckets());
    this.resizer = new Resizer(this);
    this.owners = {
      ownerId: () => this.domain.ownerId(),
      isDeadOwner: (o) => this.domain.isDeadOwner(o) || this.resizer.isDeadResizer(o),
    };
    const poolSab = this.segments.get(SEG_POOL);
    this.poolSegBytes = poolSab.byteLength;
    // The pool's directory starts with room for the bound the map was
    // created with and grows in pages past it (setMaxEntries has no ceiling).
    const { chunk, firstChunks } = poolSizing(spec);
    this.pool = new ElementPool(
      new Int32Array(poolSab),
      layout,
      chunk,
      firstChunks,
      spec.nCpus,
      this.words,
      this.segments,
      this.owners,
      (n) => this.header.addBytes(n),
      (n) => this.header.heldBytes() + n <= spec.memoryBudget,
    );
    this.bound = new MaxEntries(this.words, this.pool.limit, this.control);
    this.log = new RecoveryLog(this.header, this.segments, this.domain, spec.valueSize, (rec) => this.settleRecord(rec));
    this.tables = new Tables(
      this.words,
      this.segments,
      this.pool,
      this.owners,
      this.log,
      (T, b) => this.migration.finishRelink(T, b),
      () => this.migration.unstick(),
    );
    this.migration = new Migration(
      this.words,
      this.header,
      spec,
      this.domain,
      this.segments,
      this.tables,
      this.pool,
      this.retire,
      this.log,
      this.control,
      () => this.recountBytes(),
      () => this.afterResize(),
    );
    this.iteration = new Iteration(this);
    this.stableWalk = new StableWalk(this);
    this.compaction = new Compaction(this.domain, this.words, this.pool, this.tables, this.migration, this.retire, () => this.refresh());
    this.tables.refresh();
  }

  static bytesAtCreate(spec: NormalizedSpec): number {
    return tableWords(spec.resize.initialBuckets) * 4 + retireQueueWords(RETIRE_SLOTS) * 4 + poolWords(poolSizing(spec).firstChunks, spec.nCpus) * 4;
  }

  static create(spec: NormalizedSpec, domain: QuiescenceDomain): HashResizeMap {
    if (spec.resize.maxEntriesCeiling !== 0 && spec.resize.maxEntriesCeiling < spec.maxEntries) {
      throw new RangeError(`spec.resize.maxEntriesCeiling (${spec.resize.maxEntriesCeiling}) must be >= maxEntries (${spec.maxEntries})`);
    }
    if (spec.resize.initialBuckets > maxBucketsOf(spec)) {
      throw new RangeError(`spec.resize.initialBuckets (${spec.resize.initialBuckets}) exceeds what maxEntries ${spec.maxEntries} can use (${maxBucketsOf(spec)})`);
    }
    const header = MapHeader.create(spec.flags.zeroSeed ? 0 : randomSeed());
    const id = newMapId();
    const segments = SegmentStore.create(id, header.segmentControl(domain));
    const control = new SharedArrayBuffer(retireQueueWords(RETIRE_SLOTS) * 4);
    segments.publish(SEG_CONTROL, control);
    const pool = new SharedArrayBuffer(poolWords(poolSizing(spec).firstChunks, spec.nCpus) * 4);
    ElementPool.init(new Int32Array(pool));
    segments.publish(SEG_POOL, pool);
    const table = Tables.newTable(spec.resize.initialBuckets);
    segments.publish(FIRST_TABLE_SEG, table);
    header.addBytes(control.byteLength + pool.byteLength + table.byteLength);
    const w = header.words;
    w[CUR] = FIRST_TABLE_SEG;
    w[FUT] = 0;
    w[NEXT_SEG] = FIRST_TABLE_SEG + 1;
    w[MAX_ENTRIES] = spec.maxEntries;
    w[BOUND_PEAK] = spec.maxEntries;
    const map = new HashResizeMap({ id, spec, header, segments, domain });
    // rhashtable's worker exists from the table's creation: the first
    // deferred grow must not wait for a thread to start (~200 ms here).
    if (spec.resize.driver === 'deferred') map.resizer.ensure();
    return map;
  }

  static attach(_h: MapHandle, parts: MapParts): HashResizeMap {
    return new HashResizeMap(parts);
  }

  // ---- the table state ----

  /** Brings this thread's view of the tables up to date (an atomic read when nothing changed). */
  refresh(): void {
    if (Atomics.load(this.words, EPOCH) !== this.tables.epoch) this.tables.refresh();
  }

  get cur(): TableView {
    return this.tables.cur;
  }

  get fut(): TableView | null {
    return this.tables.fut;
  }

  /** The table in segment `id` as this thread sees it (read-only use: the consistency checker). */
  tableAt(id: number): TableView {
    return this.tables.view(id);
  }

  // ---- keys ----

  protected hashBytes(key: Uint8Array): number {
    this.ks.load(key);
    return hashKeySigned(key, this.seed);
  }

  protected hashU32(key: number): number {
    this.ks.words[0] = key | 0;
    return xxh32U32Signed(key, this.seed32);
  }

  // ---- lookups: lock-free ----

  lookupInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    if (!this.userMayRead()) return -Errno.EPERM;
    return this.lookupHashed(this.hashBytes(key), out);
  }

  /**
   * The program hot path. The usual case (a u32 key, a 4-byte value, an out
   * buffer big enough, a live map, a CPU's program, no resize under way and
   * this thread's view of the tables current) is tested by a few cheap tests
   * and walks CUR with the table's one-attempt word walk; everything else
   * takes lookupU32Slow, which has the read section, the views' refresh, the
   * hops between tables and every error. Kept small on purpose, as
   * HashMap.lookupU32Into is: V8 inlines it into the program's loop.
   *
   * Why no read section: a CPU is quiescent only between its events, so the
   * tables it reads stay alive for the whole lookup (QuiescenceDomain).
   * Why the plain read of EPOCH is enough: it only chooses this path. A hit
   * is a key linked in CUR as the seqlock validated. A miss is confirmed as
   * lookupHashed confirms one, with an atomic read of EPOCH: unchanged, no
   * resize began since this thread's view (whose FUT was null), so the key
   * can be nowhere else. A MOVED bucket (IN_NEXT_TABLE) takes the full path.
   */
  lookupU32Into(key: number, out: Uint8Array): number {
    if (this.u32Word && key >>> 0 === key && out instanceof Uint8Array && out.length >= 4 && this.headerWords[W_DESTROYED] === 0 && !this.closed && currentCpu() >= 0) {
      const tables = this.tables;
      if (this.words[EPOCH] === tables.epoch && tables.fut === null) {
        this.answerSegmentWants();
        const r = tables.cur.t.lookupWordChunked(xxh32U32Signed(key, this.seed32), key | 0, out, 0);
        if (r >= 0) return 0;
        if (r !== IN_NEXT_TABLE && Atomics.load(this.words, EPOCH) === tables.epoch) return -Errno.ENOENT;
      }
    }
    return this.lookupU32Slow(key, out);
  }

  /** lookupU32Into for everything its fast test does not cover: the full checks, userspace, a resize under way, a stale view. */
  private lookupU32Slow(key: number, out: Uint8Array): number {
    this.checkU32Lookup(key, out);
    // Only a map userspace may not read asks who the caller is.
    if (this.spec.flags.wronly && !this.userMayRead()) return -Errno.EPERM;
    return this.lookupHashed(this.hashU32(key), out);
  }

  private lookupHashed(h: number, out: Uint8Array): number {
    const d = this.domain;
    const tables = this.tables;
    // A CPU is quiescent between its events and needs no read section
    // (QuiescenceDomain.readBegin returns at once for it); the lookup asks
    // once instead of through both calls, on the hot path: about 4 ns per
    // lookup in micro/lookup-steps.js.
    const user = currentCpu() < 0;
    if (user) d.readBegin();
    try {
      // A plain read is enough here: a stale view is caught below (a MOVED
      // bucket, or a miss confirmed with an atomic read of EPOCH).
      if (this.words[EPOCH] !== tables.epoch) tables.refresh();
      this.answerSegmentWants();
      let T = tables.cur;
      const fut = tables.fut;
      // During a resize, a key whose old bucket the migration has claimed
      // (below the cursor: a plain read, only a hint) is most likely in the
      // future table already: look there first and save the old bucket's
      // cache miss. A key found there is present (its element is linked
      // there, as the seqlock validated); a miss proves nothing and takes the
      // usual path from CUR. A stale view's FUT, if it has become an older
      // table since, has every bucket MOVED and finds nothing.
      if (fut !== null && (h & T.t.mask) < this.words[CURSOR]!) {
        if (this.lookupIn(fut, h, out) >= 0) return 0;
      }
      for (let hop = 0; hop < MAX_HOPS; hop++) {
        const r = this.lookupIn(T, h, out);
        if (r >= 0) return 0;
        if (r === IN_NEXT_TABLE) {
          T = this.nextTable(T);
          continue;
        }
        // A miss. If the view is stale, a key inserted before this lookup
        // began may be in a table it does not know: look again from CUR.
        if (Atomics.load(this.words, EPOCH) !== tables.epoch) {
          tables.refresh();
          T = tables.cur;
          continue;
        }
        // During a resize, a key missing from its old bucket may have been
        // relinked, or inserted, into the future table.
        if (T === tables.cur && tables.fut !== null) {
          T = tables.fut;
          continue;
        }
        return -Errno.ENOENT;
      }
      throw new Error(`rightsize: hash_resize lookup crossed ${MAX_HOPS} table states (a resize storm or a bug)`);
    } finally {
      if (user) d.readEnd();
    }
  }

  /** One lock-free lookup of the key in `this.ks` in table T (ChainedTable.lookupCopy's results). */
  private lookupIn(T: TableView, h: number, out: Uint8Array): number {
    return this.wordKeys ? T.t.lookupCopyWord(h, this.ks.words[0]!, out, 0, this.spec.valueSize) : T.t.lookupCopy(h, this.ks.words, out, 0, 0, this.spec.valueSize);
  }

  /**
   * The table after T, for a key whose bucket in T is MOVED. When T is this
   * thread's CUR and its view has a FUT, that FUT is the answer without
   * reading the table state again: a table is migrated from once, into the
   * FUT published when its resize began, and MOVED is set only after the
   * bucket's elements are linked there. If that resize has finished since
   * (and another began from FUT), the key's bucket in FUT reads MOVED in its
   * turn and the next hop refreshes. The caller's read section keeps both
   * tables alive.
   */
  private nextTable(T: TableView): TableView {
    const tables = this.tables;
    if (T === tables.cur && tables.fut !== null) return tables.fut;
    tables.refresh();
    if (T.id !== tables.cur.id) return tables.cur;
    // T is still CUR and has a MOVED bucket: a resize from T is under way
    // (finishing one makes FUT the CUR in the same state change).
    if (tables.fut) return tables.fut;
    throw new Error('rightsize: hash_resize found a MOVED bucket in the current table with no resize under way (corrupt state)');
  }

  // ---- updates and deletes ----

  update(key: Uint8Array, value: Uint8Array, flags = 0): number {
    this.checkKey(key);
    this.checkValue(value);
    if (!updateFlagsValid(flags)) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.writeOp(UPDATE, this.hashBytes(key), value, flags, null, 0, 0);
  }

  updateU32(key: number, value: Uint8Array, flags = 0): number {
    this.checkU32(key);
    this.checkValue(value);
    if (!updateFlagsValid(flags)) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.writeOp(UPDATE, this.hashU32(key), value, flags, null, 0, 0);
  }

  delete(key: Uint8Array): number {
    this.checkKey(key);
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.writeOp(DELETE, this.hashBytes(key), null, 0, null, 0, 0);
  }

  deleteU32(key: number): number {
    this.checkU32(key);
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.writeOp(DELETE, this.hashU32(key), null, 0, null, 0, 0);
  }

  lookupAndDeleteInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    if (!this.userMayWrite() || !this.userMayRead()) return -Errno.EPERM;
    return this.writeOp(DELETE, this.hashBytes(key), null, 0, out, 0, 0);
  }

  atomicAdd(key: Uint8Array, byteOffset: number, delta: number): number {
    const refused = this.checkAtomicAdd(key, byteOffset, delta, this.spec.valueSize);
    if (refused !== 0) return refused;
    return this.writeOp(ADD, this.hashBytes(key), null, 0, null, byteOffset >>> 2, delta);
  }

  /**
   * An update (kind UPDATE), delete (DELETE, copying the value to `out` when
   * given) or atomic add (ADD), wherever the key is. The key is in
   * `this.ks`, its hash is `h`.
   */
  private writeOp(kind: WriteKind, h: number, value: Uint8Array | null, flags: number, out: Uint8Array | null, word: number, delta: number): number {
    const repairs = this.repairsRun;
    const res = this.writeOpOnce(kind, h, value, flags, out, word, delta);
    // The repair that ran at the end of this operation (a CPU died) recounted
    // ENTRIES: a dead CPU's leak must not make the map report full early.
    if ((res === -Errno.E2BIG || res === -Errno.ENOMEM) && this.repairsRun !== repairs) return this.writeOpOnce(kind, h, value, flags, out, word, delta);
    return res;
  }

  private writeOpOnce(kind: WriteKind, h: number, value: Uint8Array | null, flags: number, out: Uint8Array | null, word: number, delta: number): number {
    const r = this.spec.resize;
    const d = this.domain;
    d.readBegin();
    // The redo record for an in-place value write, settled before any lock is taken.
    const rec = kind === UPDATE ? this.log.prepare(d.ownerId()) : null;
    try {
      let tries = 0;
      this.counted = false;
      this.answerSegmentWants();
      for (let round = 0; round < MAX_ROUNDS; round++) {
        this.refresh();
        const cur = this.tables.cur;
        const fut = this.tables.fut;
        if (fut !== null) {
          if (r.driver === 'help') this.migration.migrateBatch();
          // An inline resize whose driver died moves no further by itself.
          else if (r.driver === 'inline') this.migration.replaceDeadDriver();
        }
        // A key whose old bucket the migration has claimed (the cursor, a
        // hint as in lookupHashed) is looked for in the future table first,
        // as an existing key only: one bucket lock instead of two when it is
        // there. Otherwise, the old bucket first, then the future table
        // (never both locked).
        let res = NEXT_TABLE;
        if (fut !== null && (h & cur.t.mask) < this.words[CURSOR]!) res = this.attemptLocked(fut, h, kind, value, flags, out, word, delta, rec, true);
        if (res === NEXT_TABLE) res = this.attemptLocked(cur, h, kind, value, flags, out, word, delta, rec);
        if (res === NEXT_TABLE) res = fut === null ? RESTART : this.attemptLocked(fut, h, kind, value, flags, out, word, delta, rec);
        if (res === NEXT_TABLE) res = RESTART;
        if (res <= 0) {
          // Only a write that changed the entry count can cross a watermark.
          if (this.counted && r.autoResize && !this.batchDeleting && this.tables.fut === null) this.checkWatermarks(kind === UPDATE ? GROW : SHRINK);
          return res;
        }
        if (res === RESTART) continue;
        if (res === FULL) {
          // An idle table at 100% load: with autoResize, grow it now, from this
          // thread (rhashtable_insert_rehash); the insert then goes into the new table.
          if (!r.autoResize) return -Errno.E2BIG;
          const begun = this.growFull();
          if (begun === 0) this.driveBegun();
          else if (begun === -Errno.ENOMEM) return begun;
          continue;
        }
        // BUSY: growth outran the migration.
        const policy = this.batchDeleting ? 'help' : r.ebusyPolicy;
        if (policy === 'help') {
          this.helpResize();
          continue;
        }
        if (policy === 'fail' || tries >= r.retries) return this.ebusy();
        tries++;
        this.waitForMigration();
      }
      throw new Error(`rightsize: hash_resize operation did not settle in ${MAX_ROUNDS} rounds (bug)`);
    } finally {
      d.readEnd();
      this.settle();
    }
  }

  /**
   * One try of a write in table T, under the lock of the key's bucket there.
   * An existing key is updated, deleted or added to in place. A missing key
   * is inserted only when T is the newest table (FUT, or CUR with no resize,
   * read under the lock: a resize that begins later finds the key in CUR's
   * bucket, which it has not migrated yet), else NEXT_TABLE. Returns an
   * errno (0 included), or NEXT_TABLE / RESTART / BUSY / FULL.
   */
  private attemptLocked(
    T: TableView,
    h: number,
    kind: WriteKind,
    value: Uint8Array | null,
    flags: number,
    out: Uint8Array | null,
    word: number,
    delta: number,
    rec: LogRecord | null,
    /** Only an existing key is written; a miss is NEXT_TABLE (the caller then takes the usual path). */
    existingOnly = false,
  ): number {
    const t = T.t;
    const b = (h & t.mask) as BucketIndex;
    const owner = this.domain.ownerId();
    t.lockBucket(b, owner);
    let freed = -1 as ElementId;
    try {
      // A MOVED bucket is final: its keys are in the next table.
      if (t.isMovedLocked(b)) return NEXT_TABLE;
      const e = t.findLocked(b, h, this.ks.words);
      if (e < 0 && existingOnly) return NEXT_TABLE;
      if (kind === UPDATE) {
        const mode = flags & ~BPF_F_LOCK;
        if (e >= 0) {
          if (mode === BPF_NOEXIST) return -Errno.EEXIST;
          t.writeValue(b, e, 0, value!, 0, this.spec.valueSize, rec);
          return 0;
        }
        // Only a miss needs to know whether T is the newest table (read
        // under the lock: see above); an existing key is written where it is.
        const futId = Atomics.load(this.words, FUT);
        if (futId !== 0 && futId !== T.id) return NEXT_TABLE;
        if (mode === BPF_EXIST) return -Errno.ENOENT;
        const r = this.insertLocked(T, b, h, value!, futId !== 0);
        if (r === 0) this.counted = true;
        return r;
      }
      if (e < 0) {
        const futId = Atomics.load(this.words, FUT);
        return futId === 0 || futId === T.id ? -Errno.ENOENT : NEXT_TABLE;
      }
      if (kind === ADD) {
        t.addToValueWord(b, e, word, delta);
        return 0;
      }
      if (out) copyBytes(t.store.bytes(e), t.valueByteOffset(e), out, 0, this.spec.valueSize);
      t.unlinkLocked(b, e);
      Atomics.sub(this.words, ENTRIES, 1);
      this.counted = true;
      freed = e;
      return 0;
    } finally {
      if (freed >= 0) {
        // Under the bucket lock (bucket, then pool: the lock order, see Migration).
        const left = this.pool.release(freed, owner);
        t.unlockBucket(b);
        // A CPU's cache keeps its chunk as it was: nothing to release or compact.
        if (left !== CACHED) this.compaction.afterFree(freed >>> this.pool.shift, left);
      } else t.unlockBucket(b);
    }
  }

  /**
   * Under bucket b's lock in T, the newest table: links a new element.
   * -E2BIG when the map holds maxEntries; -ENOMEM when the element needs a
   * new chunk past spec.memoryBudget; BUSY when a resize is under way
   * and T (its future table) is at 100% load; FULL when T is idle at 100%.
   */
  private insertLocked(T: TableView, b: BucketIndex, h: number, value: Uint8Array, resizing: boolean): number {
    T.t.assertBucketHeld(b);
    const w = this.words;
    let n: number;
    // A compareExchange, not add-then-undo: ENTRIES never reads above
    // maxEntries, not even for the instant of a refused insert (flood bound).
    for (;;) {
      n = Atomics.load(w, ENTRIES);
      if (n >= Atomics.load(w, MAX_ENTRIES)) return -Errno.E2BIG;
      // At the most buckets maxEntries allows, chains take what is left.
      if (n >= T.nb && T.nb < this.bound.maxBuckets()) return resizing ? BUSY : FULL;
      if (Atomics.compareExchange(w, ENTRIES, n, n + 1) === n) break;
    }
    // setMaxEntries lowers the bound, then reads ENTRIES (MaxEntries.set):
    // an insert that counted itself after that read sees the new bound here.
    if (n + 1 > Atomics.load(w, MAX_ENTRIES)) {
      Atomics.sub(w, ENTRIES, 1);
      return -Errno.E2BIG;
    }
    // Under the bucket lock (bucket, then pool: the lock order, see Migration).
    const ne = this.pool.alloc(this.domain.ownerId());
    if (ne < 0) {
      Atomics.sub(w, ENTRIES, 1);
      if (ne === OVER_BUDGET) return -Errno.ENOMEM;
      throw new Error('rightsize: hash_resize element pool has no room below maxEntries (accounting bug)');
    }
    T.t.linkNew(b, ne, h, this.ks.words, value, 0, this.spec.valueSize);
    return 0;
  }

  private ebusy(): number {
    this.migration.replaceDeadDriver();
    Atomics.add(this.words, EBUSY_COUNT, 1);
    return -Errno.EBUSY;
  }

  /**
   * An idle table at 100% load grows now (rhashtable_insert_rehash): by 2x
   * under the watermarks; under the adaptive controller by what it decides
   * (at least 2x, and straight to its floor from a tiny table).
   */
  private growFull(): number {
    const nb = this.tables.cur.nb;
    if (!this.control.adaptive) return this.migration.beginResize(GROW, 0, 'full');
    const d = this.control.decide(nb, true);
    return this.migration.beginResize(GROW, fullGrowTarget(nb, d !== null && d.dir === GROW ? d.toBuckets : 0, this.bound.maxBuckets()), 'full', nb);
  }

  /** 'retry': let the migration progress, then look again (bounded by spec.resize.retries). */
  private waitForMigration(): void {
    Atomics.add(this.words, RETRY_COUNT, 1);
    if (this.spec.resize.driver !== 'deferred' && this.migration.migrateBatch()) return;
    this.resizer.ensure();
    Atomics.wait(sleepCell, 0, 0, RETRY_SLEEP_MS);
  }

  /** 'help' policy: push the resize under way to its end. */
  private helpResize(): void {
    while (this.migration.migrateBatch()) {
      // keep migrating until every old bucket is claimed
    }
    // Batches others claimed are still being relinked: let them finish.
    if (Atomics.load(this.words, FUT) !== 0) Atomics.wait(sleepCell, 0, 0, RETRY_SLEEP_MS);
  }

  /**
   * After a write on an idle map: the spec's controller (resize-control.ts)
   * says whether to resize. Under the watermarks a write asks only in its
   * own direction (an insert grows, a delete shrinks); the adaptive
   * controller's decision stands whichever write met it (a held shrink
   * comes due with time, and its state already counts it as made).
   */
  private checkWatermarks(dir: number): void {
    // A request the resizer has not taken yet: it decides again when it
    // takes it (wanted), from the entries as they are then. Asking again
    // meanwhile (every insert of a burst, above the watermark, until the
    // resizer wakes) would only sample the statistics and find it pending.
    if (!this.control.adaptive && this.words[REQUEST] !== 0) return;
    const nb = this.tables.cur.nb;
    const d = this.control.decide(nb, false);
    if (d !== null && (d.dir === dir || this.control.adaptive)) this.requestResize(d, nb);
  }

  /** A resize is wanted (a controller's decision for a table of `fromBuckets` buckets): the driver starts it. */
  private requestResize(d: Decision, fromBuckets: number): void {
    if (this.deferredToResizer()) {
      this.control.setPending(d, fromBuckets);
      this.resizer.request(d.dir);
      return;
    }
    if (this.migration.beginResize(d.dir, d.toBuckets, d.reason, fromBuckets) !== 0) return;
    this.driveBegun();
  }

  /** A resize this thread just began: the driver migrates it. */
  private driveBegun(): void {
    if (this.spec.resize.driver === 'help') this.migration.migrateBatch();
    else if (this.deferredToResizer()) this.resizer.wake();
    else this.migrateAll();
  }

  /**
   * Whether the resize at hand goes to the resizer thread: the deferred
   * driver, a table past INLINE_BUCKETS, and a resizer running now. One that
   * ended idle (or died) takes ~200 ms to start again: meanwhile this
   * thread migrates, as with a small table, and starts one for the next
   * resize. No resize waits for a thread to start.
   */
  private deferredToResizer(): boolean {
    if (this.spec.resize.driver !== 'deferred' || this.tables.cur.nb <= INLINE_BUCKETS) return false;
    if (this.resizer.running()) return true;
    this.resizer.ensure();
    return false;
  }

  private migrateAll(): void {
    while (this.migration.migrateBatch(WHOLE_RESIZE_BATCHES)) {
      // one old bucket lock at a time: other CPUs go on meanwhile
    }
  }

  /** After a resize finished: the entries may already call for the next one (a burst that outran the grow, a mass delete). */
  private afterResize(): void {
    if (!this.spec.resize.autoResize) return;
    const nb = this.tables.cur.nb;
    this.control.clearHintIfMet(nb);
    const d = this.control.decide(nb, true);
    if (d !== null) this.requestResize(d, nb);
  }

  /** Whether the deferred resizer should resize in direction `req` now, and the table size that look was made for. */
  wanted(req: number): ResizeLook {
    this.tables.refresh();
    // The adaptive controller's decision that sent this request stands
    // (beginResize takes it): deciding again would count a made shrink as
    // a new low period and hold it once more.
    const nb = this.tables.cur.nb;
    if (this.control.adaptive && this.control.hasPending(req, nb)) return { dir: req, fromBuckets: nb };
    const d = this.control.decide(nb, true);
    const dir = d?.dir ?? 0;
    if (d !== null && (this.spec.resize.autoResize || dir === req)) {
      this.control.setPending(d, nb);
      return { dir, fromBuckets: nb };
    }
    // A table at 100% load grows whatever the watermark says.
    return { dir: Atomics.load(this.words, ENTRIES) >= nb && req === GROW ? GROW : 0, fromBuckets: nb };
  }

  /**
   * The deferred resizer's look with no request: the adaptive controller's
   * held shrink comes due while nobody writes (the watermarks are looked at
   * by every write, and need no look of their own).
   */
  idleLook(): ResizeLook {
    if (!this.spec.resize.autoResize || !this.control.adaptive) return NO_LOOK;
    this.tables.refresh();
    if (this.tables.fut !== null) return NO_LOOK;
    const nb = this.tables.cur.nb;
    const d = this.control.decide(nb, true);
    if (d === null) return NO_LOOK;
    this.control.setPending(d, nb);
    return { dir: d.dir, fromBuckets: nb };
  }

  // ---- resizing from userspace and programs ----

  /** bpf_grow(): 0, -EBUSY (a resize is under way or memory still in grace), -E2BIG past the bound, -ENOMEM past spec.memoryBudget. */
  override grow(): number {
    return this.userResize(GROW);
  }

  /** bpf_shrink(): 0, -EBUSY, or -EINVAL at the minimum or when the entries would not fit. */
  override shrink(): number {
    return this.userResize(SHRINK);
  }

  private userResize(dir: number): number {
    this.checkLive();
    this.domain.readBegin();
    try {
      const r = this.migration.beginResize(dir, 0, dir === GROW ? 'user-grow' : 'user-shrink');
      if (r === -Errno.EBUSY) return this.ebusy();
      if (r !== 0) return r;
      const driver = this.spec.resize.driver;
      if (driver === 'deferred') this.resizer.wake();
      else if (driver === 'inline') this.migrateAll();
      else this.migration.migrateBatch();
      return 0;
    } finally {
      this.domain.readEnd();
    }
  }

  /** Begins a resize in direction `dir` (GROW or SHRINK) by 2x without migrating: for scenario scripts and recovery tests (logged as a user resize: the script asked for it). */
  beginResize(dir: number): number {
    return this.migration.beginResize(dir, 0, dir === GROW ? 'user-grow' : 'user-shrink');
  }

  /** Relinks old bucket ob of `cur` into `fut` (recovery tests cut a migration there). */
  migrateBucket(cur: TableView, fut: TableView, ob: number): void {
    this.migration.migrateBucket(cur, fut, ob as BucketIndex);
  }

  /**
   * Migrates up to `batches` batches of the resize under way from this thread
   * (for scenario scripts and tests that drive a resize step by step).
   * Returns how many batches it migrated.
   */
  resizeStep(batches = 1): number {
    this.checkLive();
    requireInt('batches', batches, 1, 2 ** 30);
    let n = 0;
    while (n < batches && this.migration.migrateBatch()) n++;
    return n;
  }

  /** Frees retired bucket arrays and chunks whose grace period is over. */
  reclaim(): number {
    return this.migration.reclaim();
  }

  /** Background upkeep (the resizer's loop, stats()): see Compaction.maintain. */
  maintain(): boolean {
    return this.compaction.maintain();
  }

  beforeShrink(): boolean {
    return this.compaction.beforeShrink();
  }

  // ---- recovery after CPU deaths (see recovery/log.ts) ----

  /**
   * Under R_LOCK: the bytes held become what the map holds
   * (bytesHeldWith). R_LOCK keeps every reclaim out (a retire slot being
   * freed is neither pending nor yet subtracted: see Migration.reclaim).
   * Under the pool lock too, so that a chunk being made (committed, not yet
   * counted by its live creator) cannot be counted twice.
   */
  private recountBytes(): void {
    const owner = this.domain.ownerId();
    this.pool.lock(owner);
    try {
      this.header.addBytes(this.bytesHeldWith(this.tables.cur, this.tables.fut) - this.header.heldBytes());
    } finally {
      this.pool.unlock();
    }
  }

  /**
   * The bytes the map holds with tables `cur` and `fut`: the control and
   * pool segments, the bucket arrays, the committed chunks, the chunk
   * directory's pages, what waits in the retire queue. recountBytes makes
   * stats().bytes this; on a quiet map no thread died on, it is this.
   */
  bytesHeldWith(cur: TableView, fut: TableView | null): number {
    return this.retire.words.byteLength + this.poolSegBytes + cur.bytes + (fut?.bytes ?? 0) + this.pool.bytes() + this.pool.directoryBytes() + this.retire.pendingBytes();
  }

  /**
   * stats().bytes and what the map holds (bytesHeldWith CUR and FUT), read
   * together for verify. Every change to either is made under R_LOCK (a
   * resize's tables and the retire of the old one, a reclaim, a recount) or
   * the pool lock (a chunk or directory page made, a chunk retired), so
   * under both they agree on a map no thread died on. Both are taken only
   * if free now (never waited for, never taken over from a dead owner):
   * null when either is held, or the table state is left odd (a corrupt
   * state: no exact count exists), which verify reports by itself.
   */
  bytesAccount(): { counted: number; held: number } | null {
    const w = this.words;
    const owner = this.domain.ownerId();
    if (!tryLock(w, R_LOCK, owner)) return null;
    try {
      // CUR and FUT stay as they are while R_LOCK is held (read from the shared words, not this thread's views).
      if ((Atomics.load(w, EPOCH) & 1) !== 0) return null;
      const cur = this.tables.view(Atomics.load(w, CUR));
      const futId = Atomics.load(w, FUT);
      const fut = futId === 0 ? null : this.tables.view(futId);
      if (!tryLock(this.pool.ctl, P_LOCK, owner)) return null;
      try {
        return { counted: this.header.heldBytes(), held: this.bytesHeldWith(cur, fut) };
      } finally {
        this.pool.unlock();
      }
    } finally {
      this.migration.unlockResize();
    }
  }

  /** A redo record a dead predecessor of this thread's slot left ACTIVE: taking its bucket lock replays it. */
  private settleRecord(rec: LogRecord): void {
    this.tables.refresh();
    const T = rec.area === this.tables.cur.id ? this.tables.cur : rec.area === this.tables.fut?.id ? this.tables.fut : null;
    if (T === null || rec.index < 0 || rec.index >= T.nb) return;
    T.t.lockBucket(rec.index as BucketIndex, this.domain.ownerId());
    T.t.unlockBucket(rec.index as BucketIndex);
  }

  /**
   * After a death, under R_LOCK, every bucket lock of CUR then of FUT (old
   * before new: taking CUR's over finishes a relink cut short, see
   * Migration.finishRelink), then the pool lock: every chunk's free list is
   * rebuilt from the chains of both tables and ENTRIES becomes the entries
   * linked in them.
   */
  protected override repairLocked(): number {
    assertRepairLockHeld(this.header, this.domain);
    const w = this.words;
    const owner = this.domain.ownerId();
    this.resizer.reap();
    this.migration.lockResize();
    try {
      // Retire-queue slots a dead thread was filling or freeing come back (a
      // retire cut short is lost: its table is below CUR and dropped as such;
      // a chunk's index is given back; the bytes are recounted below).
      this.retire.recoverDead((seg) => this.pool.reclaimed(seg, owner));
      this.tables.refresh();
      const cur = this.tables.cur;
      const fut = this.tables.fut;
      const rebuild = (): number => {
        this.pool.lock(owner);
        try {
          // Every element linked anywhere is in a chunk below the pool's span (exact under the pool lock).
          const capacity = this.pool.span() * this.pool.chunk;
          const c = markLinked(cur.t, capacity);
          let linked = c.linked;
          if (fut !== null) {
            const f = markLinked(fut.t, capacity);
            for (let e = 0; e < capacity; e++) c.reached[e]! |= f.reached[e]!;
            linked += f.linked;
          }
          Atomics.store(w, ENTRIES, linked);
          return this.pool.rebuildLocked(c.reached, owner);
        } finally {
          this.pool.unlock();
        }
      };
      const reclaimed = withAllBuckets(cur.t, owner, () => (fut === null ? rebuild() : withAllBuckets(fut.t, owner, rebuild)));
      this.recountBytes();
      return reclaimed;
    } finally {
      this.migration.unlockResize();
    }
  }

  // ---- the deferred resizer ----

  destroyed(): boolean {
    return this.header.destroyed;
  }

  answerWants(): void {
    this.answerSegmentWants();
  }

  /** The resizer thread's loop (resizer-thread.ts). */
  runResizer(parent = 0): void {
    this.resizer.run(parent);
  }

  override destroy(): void {
    super.destroy();
    this.resizer.stop();
  }

  // ---- iteration: best effort during a resize ----

  hashOf(key: Uint8Array): number {
    return hashKeySigned(key, this.seed);
  }

  deleteReturned(key: Uint8Array): void {
    this.batchDeleting = true;
    try {
      this.ks.load(key);
      this.writeOp(DELETE, hashKeySigned(key, this.seed), null, 0, null, 0, 0);
    } finally {
      this.batchDeleting = false;
    }
  }

  walkDeleted(): void {
    this.refresh();
    if (this.spec.resize.autoResize && this.tables.fut === null) this.checkWatermarks(SHRINK);
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (key !== null) this.checkKey(key);
    else this.checkLive();
    if (!(next instanceof Uint8Array) || next.length !== this.spec.keySize) throw new TypeError(`next must be a Uint8Array of ${this.spec.keySize} bytes`);
    if (!this.userMayRead()) return -Errno.EPERM;
    return this.iteration.getNextKey(key, next);
  }

  lookupBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.checkedBatch(cursor, count, opts, false, this.walkBatch);
  }

  lookupAndDeleteBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.checkedBatch(cursor, count, opts, true, this.walkBatch);
  }

  /** Both batch calls' walk, made once (checkedBatch runs it after its checks). */
  private readonly walkBatch: BatchWalker = (cursor, count, opts, del) => this.iteration.batch(cursor, count, opts, del);

  stats(): MapStats {
    this.checkLive();
    this.maintain();
    this.tables.refresh();
    const w = this.words;
    const fut = this.tables.fut;
    return {
      type: this.spec.type,
      entries: Atomics.load(w, ENTRIES),
      maxEntries: Atomics.load(w, MAX_ENTRIES),
      buckets: this.tables.cur.nb,
      bytes: this.header.heldBytes(),
      grows: Atomics.load(w, GROWS),
      shrinks: Atomics.load(w, SHRINKS),
      ebusy: Atomics.load(w, EBUSY_COUNT),
      retries: Atomics.load(w, RETRY_COUNT),
      resizeNs: Number(Atomics.load(this.time64, 0)),
      state: fut ? 'resizing' : 'idle',
      resizing: fut ? { direction: w[DIR] === GROW ? 'grow' : 'shrink', toBuckets: fut.nb, migrated: Math.min(Atomics.load(w, DONE), w[OLD_NB]!), of: w[OLD_NB] } : null,
      pendingReclaim: this.retire.pending().length,
      iterRestarts: Atomics.load(w, ITER_RESTARTS),
      policy: this.spec.resize.ebusyPolicy,
      driver: this.spec.resize.driver,
      chunks: this.pool.bytes() / this.pool.chunkBytes,
      relocated: Atomics.load(w, RELOCATED),
      chunksReleased: Atomics.load(w, CHUNKS_RELEASED),
      controller: this.spec.resize.controller,
      maxEntriesCeiling: this.bound.limit(),
      decisions: this.control.counts(),
    };
  }

  // ---- resize dynamics (issue 17): the bound, hints, the decision log, the stable walk ----

  /**
   * Changes the bound on entries of the live map (max-entries.ts says how,
   * and how it meets the flood protection): 0, raising it by any amount;
   * -EINVAL below the live entries (nothing changes); -EBUSY during a
   * resize. TypeError for a non-integer, RangeError below 1 or past the
   * engine's hard limit (stats().maxEntriesCeiling; the error names it).
   */
  setMaxEntries(n: number): number {
    this.checkLive();
    this.domain.readBegin();
    try {
      return this.bound.set(n, this.migration);
    } finally {
      this.domain.readEnd();
    }
  }

  /**
   * The talk's bpf_grow() as a hint: `entries` are expected soon. The
   * adaptive controller grows the table to fit them in one resize (the
   * watermarks controller ignores hints). 0 clears the hint.
   */
  resizeHint(entries: number): void {
    this.checkLive();
    requireInt('entries', entries, 0, this.bound.limit());
    this.control.hint(entries);
    this.refresh();
    if (this.spec.resize.autoResize && this.tables.fut === null) {
      const nb = this.tables.cur.nb;
      const d = this.control.decide(nb, true);
      if (d !== null) this.requestResize(d, nb);
    }
  }

  /** The decisions logged since sequence number `since` (the ring keeps the last 48; `lost` counts older ones). */
  decisionLog(since = 0): { next: number; lost: number; records: DecisionRecord[] } {
    this.checkLive();
    requireInt('since', since, 0, 2 ** 31 - 1);
    return this.control.readLog(since);
  }

  /**
   * The stable walk (stable-walk.ts): a Redis-SCAN cursor over the
   * power-of-two bucket space; every key present for the whole walk is
   * returned at least once across any grows and shrinks. Start with cursor
   * 0; the walk is over when the returned cursor is 0.
   */
  scan(cursor: number, count: number, withValues = false): ScanResult {
    this.checkLive();
    if (!this.userMayRead()) return { err: -Errno.EPERM, cursor, keys: [], values: [], count: 0, buckets: 0, retries: 0 };
    return this.stableWalk.scan(cursor, count, withValues);
  }
}

/**
 * The element pool's chunk size and the chunk indexes its directory's first
 * page holds, the same in every thread: chunks sized for the bound the map
 * starts with, or for spec.resize.maxEntriesCeiling when given (a
 * pre-sizing hint: a map expected to be raised far gets bigger chunks, so
 * fewer of them); the first page for the starting bound only.
 */
function poolSizing(spec: NormalizedSpec): { chunk: number; firstChunks: number } {
  const layout = compactLayout(spec.keySize, spec.valueSize);
  const chunk = chunkElements(Math.max(spec.maxEntries, spec.resize.maxEntriesCeiling), layout.stride);
  return { chunk, firstChunks: maxChunks(spec.maxEntries, chunk, spec.nCpus) };
}

/**
 * The most buckets a table of this map may have: the kernel HASH's sizing,
 * the next power of two of maxEntries. A map that fills up to its bound runs
 * at a load of up to 1 (as a full HASH does) instead of growing past it to
 * stay under the watermark: the last doubling would cost 16 bytes of bucket
 * per entry (48 instead of 32 bytes per 4 B/4 B entry when full) to shorten
 * chains that average one element.
 */
function maxBucketsOf(spec: NormalizedSpec): number {
  return maxBucketsFor(spec.maxEntries);
}

/** The same, for a bound of maxEntries (the live bound follows setMaxEntries). */
export function maxBucketsFor(maxEntries: number): number {
  return Math.min(MAX_TABLE_BUCKETS, Math.max(MIN_BUCKETS, nextPowerOfTwo(maxEntries)));
}
