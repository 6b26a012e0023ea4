import { Worker } from 'node:worker_threads';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno, updateFlagsValid } from '../../errno.js';
import { hashKeySigned, randomSeed } from '../../hash/hasher.js';
import { xxh32U32Signed } from '../../hash/xxh32.js';
import { OWNER_MASK, RECOVERED, lock, unlock, type LockOwners } from '../../locks/bucket-lock.js';
import { markLinked, withAllBuckets } from '../../recovery/chains.js';
import { RecoveryLog, type LogRecord } from '../../recovery/log.js';
import { SegmentStore, newMapId } from '../../memory/segments.js';
import type { QuiescenceDomain } from '../../rcu/domain.js';
import { RetireQueue, retireQueueWords } from '../../rcu/retire.js';
import { nextPowerOfTwo, requireInt, type NormalizedSpec } from '../../spec/map-spec.js';
import { MapBase, type MapParts } from '../base.js';
import { MapHeader, W_LOCKS_RECOVERED } from '../header.js';
import type { BatchOptions, BatchResult, MapHandle, MapStats } from '../map.js';
import { ElementAllocator, ElementStore } from '../hash/allocator.js';
import { walkBatch, type BucketWalk } from '../hash/batch.js';
import { elemLayout, type ElemLayout } from '../hash/layout.js';
import { BUCKET_WORDS, ChainedTable, HEAD, IN_NEXT_TABLE, KeyScratch, MOVED, copyBytes } from '../hash/table.js';
import { builtModuleUrl } from './built-module.js';
import {
  BEGIN, CUR, CURSOR, DIR, DONE, DRIVER_OWNER, RESIZER_OWNER, RESIZER_PARENT, EBUSY_COUNT, ENTRIES, EPOCH, FIRST_TABLE_SEG, FUT, GROW, GROWS, ITER_RESTARTS, MIN_BUCKETS, NEXT_SEG,
  OLD_NB, PENDING, REQUEST, RETIRE_SLOTS, RETRY_COUNT, R_LOCK, SEG_CONTROL, SHRINK, SHRINKS, TIME_BYTE_OFFSET, T_ALLOC, T_BUCKETS, T_CHUNKS, T_INFO, MAX_TABLE_CHUNKS, chunkSizeFor,
  WAKE, tableWords,
} from './layout.js';

/** One table generation as this thread sees it. */
interface RTable {
  readonly id: number;
  readonly nb: number;
  /** The table segment's words (allocator control, info, chunk ids, buckets). */
  readonly words: Int32Array;
  /** Bytes the table holds now: its segment and the element chunks allocated so far. */
  readonly bytes: number;
  readonly t: ChainedTable;
}

/** Results of an operation applied under a bucket lock that are not errnos. */
const TABLE_FULL = 1;
/** The insert met a resize that began after this thread read the table state: start the operation over. */
const RESTART = 2;
const UPDATE = 0;
const DELETE = 1;
const ADD = 2;
/** Rounds an operation may take through resizes before it is a bug, not bad luck. */
const MAX_ROUNDS = 1_000_000;
const RETRY_SLEEP_MS = 0.05;
const RESIZER_STALE_NS = 1_000_000_000n;
/** A resizer with nothing to do for this long ends (see idleExit). */
const RESIZER_IDLE_EXIT_MS = 5000;
/** How long a migrator waits for an element of the future table that an insert holds for a moment (see migrateBucket). */
const MIGRATE_ALLOC_WAIT_MS = 2000;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * hash_resize: the resizable hash map (rhashtable / BPF_MAP_TYPE_RHASH, as the
 * LPC 2020 talk proposed it).
 *
 * Tables. The map is a chain of table generations, each one SharedArrayBuffer
 * holding its buckets and its elements (as many as it has buckets). CUR is
 * where lookups start; during a resize FUT is the table being filled. A
 * resize copies the entries of one old bucket at a time into FUT (under the
 * old bucket's lock, then each new bucket's lock: old before new, always),
 * then marks the old bucket MOVED. When every old bucket is MOVED, FUT becomes
 * CUR and the old table is retired; after a grace period (every CPU passed a
 * quiescent point) its bytes stop counting and threads drop it.
 *
 * Lookups take no lock: they read CUR's bucket under its seqlock; a MOVED
 * bucket sends them to the next table. A key present for the whole lookup is
 * in the old bucket until it is marked MOVED, and in FUT before that mark is
 * written, so it is always found; values are copied under the bucket seqlock,
 * so never torn.
 *
 * Updates and deletes lock the key's bucket. While idle they work in CUR.
 * During a resize, a key whose old bucket is already MOVED is handled in FUT;
 * one whose old bucket still waits "meets the resize" and the map's EBUSY
 * policy decides: 'fail' returns -EBUSY (kernel style), 'retry' waits for the
 * migration a bounded number of times, 'help' migrates that bucket itself and
 * carries on (never -EBUSY). A writer that read an idle state just before a
 * resize began may still update or delete in CUR: the bucket is not MOVED
 * (checked under its lock), so the migrator, which takes the same lock,
 * copies its write. It may not insert there: the future table was sized for
 * the entries counted when the resize began (see insertLocked).
 *
 * Who migrates ('driver'): 'deferred' a resizer thread woken at the
 * watermarks (rhashtable's worker); 'inline' the thread whose update crossed
 * the watermark migrates the whole table before it returns (bucket locks are
 * taken one bucket at a time, so other CPUs go on meanwhile; the crossing call
 * itself stalls, which is what this driver measures); 'help' the crossing
 * thread starts the resize and every update or delete that meets it migrates
 * a batch first.
 *
 * A CPU that dies (recovery/log.ts): a bucket lock taken over from a dead
 * owner replays its value write; R_LOCK taken over finishes or rolls back a
 * half-written table switch (recoverResizeLock); a migrator records its
 * claimed batch, and one that finds nothing left to claim takes over a
 * batch whose claimer died; the switch to the new table waits until every
 * old bucket is MOVED (checked under R_LOCK), whoever migrated them; an
 * inline driver that died is replaced by the next writer that meets its
 * resize; the repair after a death rebuilds both tables' pools and ENTRIES.
 */
export class HashResizeMap extends MapBase {
  protected readonly ks: KeyScratch;
  private readonly mks: KeyScratch;
  protected readonly seed: number;
  private readonly layout: ElemLayout;
  /** One-word keys: lookups take ChainedTable.lookupCopyWord. */
  private readonly wordKeys: boolean;
  private readonly words: Int32Array;
  private readonly time64: BigInt64Array;
  private readonly retire: RetireQueue;
  private readonly tables = new Map<number, RTable>();
  private cur!: RTable;
  private fut: RTable | null = null;
  private epoch = -1;
  private readonly maxBuckets: number;
  private readonly chain: number[] = [];
  private readonly vkeys: number[] = [];
  private resizer: Worker | null = null;
  /** Epoch seen by the last getNextKey in this thread (iteration restarts are counted when it moved). */
  private iterEpoch = -1;
  /** Epoch seen by the last batch walk in this thread (a cursor from another table is counted as a restart). */
  private batchEpoch = -1;
  /**
   * Set while lookupAndDeleteBatch deletes the entries it is returning: those
   * deletes must happen (they help a resize they meet instead of -EBUSY) and
   * must not shrink the table under the walk's cursor (see virtualWalk).
   */
  private batchDeleting = false;
  /** Redo records of value writes and migration claims (see recovery/log.ts). */
  private readonly log: RecoveryLog;
  /**
   * Lock owners as this map's locks judge them: the domain's view, and a
   * deferred resizer whose starter died is dead too (reapResizer marks it so).
   */
  private readonly owners: LockOwners = {
    ownerId: () => this.domain.ownerId(),
    isDeadOwner: (o) => this.domain.isDeadOwner(o) || (o === Atomics.load(this.words, RESIZER_OWNER) && this.reapResizer()),
  };

  constructor(parts: MapParts) {
    super(parts);
    const spec = this.spec;
    this.seed = this.header.seed;
    this.layout = elemLayout(spec.keySize, spec.valueSize);
    this.wordKeys = this.layout.keyWords === 1;
    this.ks = new KeyScratch(spec.keySize);
    this.mks = new KeyScratch(spec.keySize);
    this.words = this.header.words;
    this.time64 = new BigInt64Array(this.header.sab, TIME_BYTE_OFFSET, 3);
    const control = new Int32Array(this.segments.get(SEG_CONTROL));
    this.retire = new RetireQueue(control, 0, RETIRE_SLOTS, this.domain);
    this.maxBuckets = maxBucketsOf(spec);
    this.log = new RecoveryLog(this.header, this.segments, this.domain, spec.valueSize, (rec) => this.settleRecord(rec));
    this.refresh();
  }

  static bytesAtCreate(spec: NormalizedSpec): number {
    return tableWords(spec.resize.initialBuckets) * 4 + retireQueueWords(RETIRE_SLOTS) * 4;
  }

  static create(spec: NormalizedSpec, domain: QuiescenceDomain): HashResizeMap {
    if (spec.resize.initialBuckets > maxBucketsOf(spec)) {
      throw new RangeError(`spec.resize.initialBuckets (${spec.resize.initialBuckets}) exceeds what maxEntries ${spec.maxEntries} can use (${maxBucketsOf(spec)})`);
    }
    const header = MapHeader.create(spec.flags.zeroSeed ? 0 : randomSeed());
    const id = newMapId();
    const segments = SegmentStore.create(id, header.segmentControl(domain));
    const control = new SharedArrayBuffer(retireQueueWords(RETIRE_SLOTS) * 4);
    segments.publish(SEG_CONTROL, control);
    header.addBytes(control.byteLength);
    const layout = elemLayout(spec.keySize, spec.valueSize);
    const sab = newTable(spec.resize.initialBuckets);
    segments.publish(FIRST_TABLE_SEG, sab);
    header.addBytes(sab.byteLength);
    const w = header.words;
    w[CUR] = FIRST_TABLE_SEG;
    w[FUT] = 0;
    w[NEXT_SEG] = FIRST_TABLE_SEG + 1;
    const map = new HashResizeMap({ id, spec, header, segments, domain });
    // rhashtable's worker exists from the table's creation: the first grow
    // must not wait for a thread to start (~200 ms here) while inserts fail.
    if (spec.resize.driver === 'deferred') map.ensureResizer();
    return map;
  }

  static attach(_h: MapHandle, parts: MapParts): HashResizeMap {
    return new HashResizeMap(parts);
  }

  // ---- the table state ----

  /**
   * Reads CUR/FUT consistently (EPOCH even and unchanged around the reads)
   * and builds this thread's views of those tables; forgets older ones.
   */
  private refresh(): void {
    const w = this.words;
    let ep: number;
    let curId: number;
    let futId: number;
    for (let spins = 0; ; spins++) {
      ep = Atomics.load(w, EPOCH);
      curId = Atomics.load(w, CUR);
      futId = Atomics.load(w, FUT);
      if ((ep & 1) === 0 && Atomics.load(w, EPOCH) === ep) break;
      // An odd EPOCH whose writer died stays odd until R_LOCK is taken over,
      // which completes the switch (recoverResizeLock).
      if ((spins & 1023) === 1023 && this.owners.isDeadOwner(Atomics.load(w, R_LOCK) & OWNER_MASK)) {
        this.lockResize();
        unlock(w, R_LOCK);
      }
      if (spins > 1_000_000) throw new Error('rightsize: hash_resize table state kept changing (a resizer died mid-transition?)');
    }
    if (ep === this.epoch) return;
    if (this.epoch !== -1) this.segments.drain();
    this.cur = this.tableView(curId);
    this.fut = futId === 0 ? null : this.tableView(futId);
    for (const id of [...this.tables.keys()]) {
      if (id !== curId && id !== futId) {
        // This thread no longer uses that table: drop its views and its
        // buffer reference so V8 can free the memory once every thread has.
        this.tables.delete(id);
        this.segments.drop(id);
      }
    }
    // Tables this thread never viewed also sit in its segment store when
    // their announcement arrived (in the event loop, or drained with another)
    // and they were retired before this thread looked: ids only grow and FUT
    // is always newer than CUR, so every table id below CUR is retired.
    for (const [id] of this.segments.entries()) if (id >= FIRST_TABLE_SEG && id < curId) this.segments.drop(id);
    this.epoch = ep;
  }

  private tableView(id: number): RTable {
    const known = this.tables.get(id);
    if (known) return known;
    const sab = this.segments.get(id);
    const words = new Int32Array(sab);
    const nb = words[T_INFO]!;
    const cap = words[T_INFO + 1]!;
    const chunkSize = words[T_INFO + 2]!;
    const layout = this.layout;
    const store = new ElementStore(
      layout,
      chunkSize,
      {
        chunk: (c, create) => {
          if (c >= MAX_TABLE_CHUNKS || c * chunkSize >= cap) return null;
          const committed = Atomics.load(words, T_CHUNKS + c);
          if (committed !== 0) return { sab: this.segments.get(committed), byteOffset: 0, elements: chunkSize };
          if (!create) return null;
          // Under the table's allocator lock (ElementAllocator.alloc): one
          // creator per chunk. Published under a fresh id before the id is
          // stored, so a thread that reads the id can fetch the buffer; the
          // store commits it (see ChunkSource for a creator's death).
          const csab = new SharedArrayBuffer(chunkSize * layout.stride * 4);
          const cid = Atomics.add(this.words, NEXT_SEG, 1);
          this.segments.publish(cid, csab);
          Atomics.store(words, T_CHUNKS + c, cid);
          this.header.addBytes(csab.byteLength);
          return { sab: csab, byteOffset: 0, elements: chunkSize };
        },
      },
      cap,
    );
    const alloc = new ElementAllocator(store, words, T_ALLOC, cap, cap, this.owners);
    const buckets = new Int32Array(sab, T_BUCKETS * 4, nb * BUCKET_WORDS);
    const t: RTable = {
      id,
      nb,
      words,
      // The bucket array and control words, plus every committed chunk:
      // derived, not counted, so a chunk creator's death cannot skew it.
      get bytes(): number {
        let chunks = 0;
        while (chunks < MAX_TABLE_CHUNKS && Atomics.load(words, T_CHUNKS + chunks) !== 0) chunks++;
        return Atomics.load(words, T_INFO + 3) * 8 + chunks * chunkSize * layout.stride * 4;
      },
      t: new ChainedTable(buckets, nb, store, alloc, this.owners),
    };
    t.t.setRecovery(this.log, id, this.header.words);
    this.tables.set(id, t);
    return t;
  }

  /** The table in segment `id` as this thread sees it (read-only use: the consistency checker). */
  tableAt(id: number): { readonly nb: number; readonly bytes: number; readonly t: ChainedTable } {
    return this.tableView(id);
  }

  // ---- keys ----

  protected hashBytes(key: Uint8Array): number {
    this.ks.load(key);
    return hashKeySigned(key, this.seed);
  }

  protected hashU32(key: number): number {
    this.ks.words[0] = key | 0;
    return xxh32U32Signed(key, this.seed);
  }

  // ---- lookups: lock-free ----

  lookupInto(key: Uint8Array, out: Uint8Array): number {
    this.checkKey(key);
    this.checkOut(out);
    if (!this.userMayRead()) return -Errno.EPERM;
    return this.lookupHashed(this.hashBytes(key), out);
  }

  lookupU32Into(key: number, out: Uint8Array): number {
    this.checkU32(key);
    this.checkOut(out);
    if (!this.userMayRead()) return -Errno.EPERM;
    return this.lookupHashed(this.hashU32(key), out);
  }

  private lookupHashed(h: number, out: Uint8Array): number {
    const d = this.domain;
    d.readBegin();
    try {
      // A plain read is enough here: a stale epoch only means starting in a
      // table whose bucket turns out MOVED, which sends us on (with Atomics).
      if (this.words[EPOCH] !== this.epoch) this.refresh();
      this.answerSegmentWants();
      let T = this.cur;
      for (let hop = 0; hop < 64; hop++) {
        const r = this.wordKeys
          ? T.t.lookupCopyWord(h, this.ks.words[0]!, out, 0, this.spec.valueSize)
          : T.t.lookupCopy(h, this.ks.words, out, 0, 0, this.spec.valueSize);
        if (r !== IN_NEXT_TABLE) return r >= 0 ? 0 : -Errno.ENOENT;
        T = this.nextTable(T);
      }
      throw new Error('rightsize: hash_resize lookup crossed 64 table generations (a resize storm or a bug)');
    } finally {
      d.readEnd();
    }
  }

  /** The table after T, for a key whose bucket in T is MOVED. */
  private nextTable(T: RTable): RTable {
    this.refresh();
    if (T.id !== this.cur.id) return this.cur;
    // T is still CUR and has a MOVED bucket: a resize from T is under way
    // (finishing one makes FUT the CUR in the same epoch transition).
    if (this.fut) return this.fut;
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
    this.checkKey(key);
    requireInt('delta', delta, -0x80000000, 0xffffffff);
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 4 !== 0 || byteOffset + 4 > this.spec.valueSize) return -Errno.EINVAL;
    if (!this.userMayWrite()) return -Errno.EPERM;
    return this.writeOp(ADD, this.hashBytes(key), null, 0, null, byteOffset >>> 2, delta);
  }

  /**
   * An update (kind UPDATE), delete (DELETE, copying the value to `out` when
   * given) or atomic add (ADD) through whatever resize is under way. The key
   * is in `this.ks`, its hash is `h`.
   */
  private writeOp(kind: number, h: number, value: Uint8Array | null, flags: number, out: Uint8Array | null, word: number, delta: number): number {
    const repairs = this.repairsRun;
    const res = this.writeOpOnce(kind, h, value, flags, out, word, delta);
    // The repair that ran at the end of this operation (a CPU died) recounted
    // ENTRIES and the pools: a dead CPU's leak must not make the map report full early.
    if ((res === -Errno.E2BIG || res === -Errno.ENOMEM) && this.repairsRun !== repairs) return this.writeOpOnce(kind, h, value, flags, out, word, delta);
    return res;
  }

  private writeOpOnce(kind: number, h: number, value: Uint8Array | null, flags: number, out: Uint8Array | null, word: number, delta: number): number {
    const r = this.spec.resize;
    const policy = this.batchDeleting ? 'help' : r.ebusyPolicy;
    const d = this.domain;
    d.readBegin();
    // The redo record for an in-place value write, settled before any lock is taken.
    const rec = kind === UPDATE ? this.log.prepare(d.ownerId()) : null;
    try {
      let tries = 0;
      this.answerSegmentWants();
      for (let round = 0; round < MAX_ROUNDS; round++) {
        this.refresh();
        const cur = this.cur;
        const fut = this.fut;
        let T = cur;
        if (fut !== null) {
          if (r.driver === 'help') this.migrateBatch();
          // An inline resize whose driver died moves no further by itself.
          // Writers that land in MOVED buckets never meet -EBUSY, so the check
          // cannot wait for ebusy(): a workload whose keys all sit in moved
          // buckets would otherwise keep the resize (and its memory) open forever.
          else if (r.driver === 'inline') this.replaceDeadDriver();
          const ob = h & cur.t.mask;
          if (cur.t.isMoved(ob)) T = fut;
          else if (policy === 'help') {
            this.migrateBucket(cur, fut, ob);
            T = fut;
          } else {
            if (policy === 'fail' || tries >= r.retries) return this.ebusy();
            tries++;
            this.waitForMigration();
            continue;
          }
        }
        const t = T.t;
        const b = h & t.mask;
        t.lockBucket(b, d.ownerId());
        let res: number;
        let inserted = false;
        try {
          // Checked under the lock: a bucket migrated since we chose T is
          // final in the next table; start again from the table state.
          if (t.isMoved(b)) continue;
          if (kind === UPDATE) {
            const e = t.findLocked(b, h, this.ks.words);
            const mode = flags & ~BPF_F_LOCK;
            if (e >= 0) {
              if (mode === BPF_NOEXIST) return -Errno.EEXIST;
              t.writeValue(b, e, 0, value!, 0, this.spec.valueSize, rec);
              return 0;
            }
            if (mode === BPF_EXIST) return -Errno.ENOENT;
            res = this.insertLocked(T, b, h, value!);
            inserted = res === 0;
          } else {
            const e = t.findLocked(b, h, this.ks.words);
            if (e < 0) return -Errno.ENOENT;
            if (kind === ADD) {
              t.addToValueWord(b, e, word, delta);
              return 0;
            }
            if (out) copyBytes(t.store.bytes(e), t.valueByteOffset(e), out, 0, this.spec.valueSize);
            t.unlinkLocked(b, e);
            t.alloc.free(e, d.ownerId());
            Atomics.sub(this.words, ENTRIES, 1);
            res = 0;
          }
        } finally {
          t.unlockBucket(b);
        }
        if (res === RESTART) {
          // Let a resize that is starting publish its table, then look again.
          if (Atomics.load(this.words, BEGIN) !== 0) {
            // A begin whose thread died leaves BEGIN set until R_LOCK is taken over.
            if (this.owners.isDeadOwner(Atomics.load(this.words, R_LOCK) & OWNER_MASK)) {
              this.lockResize();
              unlock(this.words, R_LOCK);
            } else Atomics.wait(sleepCell, 0, 0, RETRY_SLEEP_MS);
          }
          continue;
        }
        if (res === TABLE_FULL) {
          // No element left in this table: the map must grow first.
          if (!r.autoResize && fut === null) return -Errno.E2BIG;
          // The next table would pass spec.memoryBudget: no grow will make room.
          if (fut === null && !this.canGrow()) return -Errno.ENOMEM;
          if (fut === null) this.requestResize(GROW);
          if (policy === 'help') {
            this.helpResize();
            continue;
          }
          if (policy === 'fail' || tries >= r.retries) return this.ebusy();
          tries++;
          this.waitForMigration();
          continue;
        }
        if (res === 0 && r.autoResize && fut === null && !this.batchDeleting) this.checkWatermarks(cur, inserted);
        return res;
      }
      throw new Error(`rightsize: hash_resize operation did not settle in ${MAX_ROUNDS} rounds (bug)`);
    } finally {
      d.readEnd();
      this.settle();
    }
  }

  /**
   * Under bucket b's lock in table T: links a new element. -E2BIG when the map
   * holds maxEntries; TABLE_FULL when T has no element left for it (or, while
   * T is being filled by a resize, when the entries still to migrate need the
   * rest); RESTART when a resize began since this thread chose T.
   *
   * The future table of a shrink has room for the entries counted when it
   * began (at most growAt of its buckets) and nothing more is guaranteed: every
   * entry still in an old bucket must find an element there when migrated, or
   * the migration fails half-way and the resize can never finish. Hence
   *  - inserts go only to the table a resize fills, never to the one it
   *    empties (an insert there after the count would not be counted);
   *    BEGIN closes the window between beginResize's count and its FUT store;
   *  - an insert into the future table takes its element first, then checks
   *    room with its own element counted: of two concurrent inserts, the later
   *    one sees both (the checks are sequentially consistent atomics), so
   *    they cannot both take the last free element.
   */
  private insertLocked(T: RTable, b: number, h: number, value: Uint8Array): number {
    const w = this.words;
    // A compareExchange, not add-then-undo: ENTRIES never reads above
    // maxEntries, not even for the instant of a refused insert (flood bound).
    for (;;) {
      const n = Atomics.load(w, ENTRIES);
      if (n >= this.spec.maxEntries) return -Errno.E2BIG;
      if (Atomics.compareExchange(w, ENTRIES, n, n + 1) === n) break;
    }
    const futId = Atomics.load(w, FUT);
    if (Atomics.load(w, BEGIN) !== 0 || (futId !== 0 && futId !== T.id)) {
      Atomics.sub(w, ENTRIES, 1);
      return RESTART;
    }
    const owner = this.domain.ownerId();
    const ne = T.t.alloc.alloc(owner);
    if (ne < 0) {
      Atomics.sub(w, ENTRIES, 1);
      return TABLE_FULL;
    }
    // The new table keeps room for the old entries still to be copied (PENDING).
    if (futId === T.id && T.t.alloc.entries() + Math.max(0, Atomics.load(w, PENDING)) > T.nb) {
      T.t.alloc.free(ne, owner);
      Atomics.sub(w, ENTRIES, 1);
      return TABLE_FULL;
    }
    T.t.linkNew(b, ne, h, this.ks.words, value, 0, this.spec.valueSize);
    return 0;
  }

  private ebusy(): number {
    this.replaceDeadDriver();
    Atomics.add(this.words, EBUSY_COUNT, 1);
    return -Errno.EBUSY;
  }

  /**
   * With the 'inline' driver only the thread that began a resize migrates
   * it; if that thread died, the resize would never end (callers with the
   * 'fail' policy only see -EBUSY). The first caller to meet it then takes
   * over as the driver and migrates the rest (batches the dead driver had
   * claimed included, see migrateBatch).
   */
  private replaceDeadDriver(): void {
    if (this.spec.resize.driver !== 'inline') return;
    const w = this.words;
    const futId = Atomics.load(w, FUT);
    if (futId === 0) return;
    const driver = Atomics.load(w, DRIVER_OWNER);
    // 0 with FUT published: a finish is clearing it (migrateBatch then finds
    // nothing), or a map recovered from an older state; either way nobody drives.
    if (driver !== 0 && !this.domain.isDeadOwner(driver)) {
      // A live driver that claimed the last batch and left does not come back
      // for a batch whose claimer (a helper, a writer) died after its last
      // look: with every batch claimed, whoever meets such a claim takes it
      // over (and finishes the resize). The cursor check keeps the log scan
      // to the tail of a resize.
      if (Atomics.load(w, CURSOR) < Atomics.load(w, OLD_NB) || this.log.deadClaim(futId) === null) return;
    } else if (Atomics.compareExchange(w, DRIVER_OWNER, driver, this.domain.ownerId()) !== driver) return;
    while (this.migrateBatch()) {
      // the new driver migrates the whole table, as the dead one would have
    }
  }

  /** Bytes a table of nb buckets will hold once today's entries are copied into it (whole chunks). */
  private nextTableBytes(nb: number): number {
    const chunk = chunkSizeFor(nb);
    const chunks = Math.ceil(Atomics.load(this.words, ENTRIES) / chunk);
    return tableWords(nb) * 4 + chunks * chunk * this.layout.stride * 4;
  }

  /** Whether the next grow fits: within the bucket bound and spec.memoryBudget. */
  private canGrow(): boolean {
    const nb = this.cur.nb * 2;
    return nb <= this.maxBuckets && this.header.heldBytes() + this.nextTableBytes(nb) <= this.spec.memoryBudget;
  }

  /** 'retry': let the migration progress, then look again (bounded by spec.resize.retries). */
  private waitForMigration(): void {
    Atomics.add(this.words, RETRY_COUNT, 1);
    if (this.spec.resize.driver !== 'deferred' && this.migrateBatch()) return;
    Atomics.wait(sleepCell, 0, 0, RETRY_SLEEP_MS);
  }

  /** 'help' policy: push the resize under way (or the one just requested) to its end. */
  private helpResize(): void {
    this.refresh();
    if (this.fut === null) {
      // The resize under way finished meanwhile. Begin the grow the full table
      // calls for only when resizing is automatic: with autoResize off the map
      // must not resize by itself, and the caller's next round reports -E2BIG.
      if (!this.spec.resize.autoResize) return;
      if (this.beginResize(GROW) !== 0) {
        Atomics.wait(sleepCell, 0, 0, RETRY_SLEEP_MS);
        return;
      }
    }
    while (this.migrateBatch()) {
      // keep migrating until every old bucket is claimed
    }
  }

  /** After a successful insert or delete on an idle map: ask for a resize at the watermarks. */
  private checkWatermarks(T: RTable, inserted: boolean): void {
    const dir = this.watermarkDirection(T);
    if (dir === (inserted ? GROW : SHRINK)) this.requestResize(dir);
  }

  private requestResize(dir: number): void {
    const driver = this.spec.resize.driver;
    if (driver === 'deferred') {
      if (Atomics.compareExchange(this.words, REQUEST, 0, dir) === 0) this.wakeResizer();
      return;
    }
    if (this.beginResize(dir) !== 0) return;
    if (driver === 'inline') {
      while (this.migrateBatch()) {
        // the crossing thread migrates the whole table (one bucket lock at a time)
      }
    } else {
      this.migrateBatch();
    }
  }

  private wakeResizer(): void {
    this.ensureResizer();
    Atomics.add(this.words, WAKE, 1);
    Atomics.notify(this.words, WAKE);
  }

  /**
   * The resizer thread is started on the first request, by whichever thread
   * makes it (most maps never resize; a test creating hundreds of maps must
   * not start hundreds of threads). It beats every loop; a beat older than a
   * second means it is gone (its parent thread ended, it was killed) and the
   * next requester starts another. The compareExchange on the beat makes one
   * requester the starter.
   */
  private ensureResizer(): void {
    const now = process.hrtime.bigint();
    const beat = Atomics.load(this.time64, 2);
    if (beat !== 0n && now - beat < RESIZER_STALE_NS) return;
    // A resizer gone with its starter is marked dead before the next one takes its place.
    this.reapResizer();
    if (Atomics.compareExchange(this.time64, 2, beat, now) !== beat) return;
    this.startResizer();
  }

  // ---- resizing ----

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
      const r = this.beginResize(dir);
      if (r === -Errno.EBUSY) return this.ebusy();
      if (r !== 0) return r;
      const driver = this.spec.resize.driver;
      if (driver === 'deferred') this.wakeResizer();
      else if (driver === 'inline') {
        while (this.migrateBatch());
      } else this.migrateBatch();
      return 0;
    } finally {
      this.domain.readEnd();
    }
  }

  /** Starts a resize: allocates the next table and publishes it as FUT. */
  private beginResize(dir: number): number {
    const w = this.words;
    this.lockResize();
    // Before ENTRIES is read below; cleared after FUT is published (see BEGIN).
    Atomics.store(w, BEGIN, 1);
    try {
      if (Atomics.load(w, FUT) !== 0) return -Errno.EBUSY;
      this.reclaim();
      this.refresh();
      const nb = this.cur.nb;
      const entries = Atomics.load(w, ENTRIES);
      const r = this.spec.resize;
      let newNb: number;
      if (dir === GROW) {
        newNb = nb * 2;
        if (newNb > this.maxBuckets) return -Errno.E2BIG;
        if (this.header.heldBytes() + this.nextTableBytes(newNb) > this.spec.memoryBudget) return -Errno.ENOMEM;
      } else {
        newNb = nb >>> 1;
        if (newNb < MIN_BUCKETS) return -Errno.EINVAL;
        // The smaller table would sit above the grow watermark: refuse rather
        // than shrink and grow straight back.
        if (entries > newNb * r.growAt) return -Errno.EINVAL;
      }
      if (this.retire.pending().length >= RETIRE_SLOTS) return -Errno.EBUSY;
      const sab = newTable(newNb);
      // Chunks take ids from the same counter (under their tables' allocator locks).
      const id = Atomics.add(w, NEXT_SEG, 1);
      this.segments.publish(id, sab);
      this.header.addBytes(sab.byteLength);
      Atomics.store(this.time64, 1, process.hrtime.bigint());
      Atomics.add(w, EPOCH, 1);
      w[OLD_NB] = nb;
      w[DIR] = dir;
      w[CURSOR] = 0;
      Atomics.store(w, DONE, 0);
      // BEGIN holds new inserts off, so this count is every entry to migrate.
      Atomics.store(w, PENDING, this.cur.t.alloc.entries());
      // The inline driver is named before FUT is published: a beginner killed
      // right after this section must leave a resize whose driver reads dead
      // (replaceDeadDriver), not one with no driver at all.
      if (this.spec.resize.driver === 'inline') Atomics.store(w, DRIVER_OWNER, this.domain.ownerId());
      Atomics.store(w, FUT, id);
      Atomics.add(w, EPOCH, 1);
      return 0;
    } finally {
      Atomics.store(w, BEGIN, 0);
      unlock(w, R_LOCK);
    }
  }

  /**
   * Claims the next batch of old buckets and migrates them. Returns false when
   * there is no resize or nothing is left to claim. The claim is made under
   * R_LOCK, so it belongs to the resize under way, and recorded in this
   * thread's record before the cursor moves past it: when every batch is
   * claimed, a migrator takes over a batch whose claimer died (migrating a
   * bucket again is a no-op). The migrator whose batch ends with every batch
   * claimed tries to finish the resize, which happens once every old bucket
   * is MOVED.
   */
  private migrateBatch(): boolean {
    const w = this.words;
    if (Atomics.load(w, FUT) === 0) return false;
    const owner = this.domain.ownerId();
    const rec = this.log.prepare(owner);
    let start: number;
    let end: number;
    let oldNb: number;
    let futId: number;
    let orphanedFinish = false;
    this.lockResize();
    try {
      oldNb = w[OLD_NB]!;
      start = w[CURSOR]!;
      end = start;
      futId = Atomics.load(w, FUT);
      if (futId === 0) return false;
      if (start < oldNb) {
        end = Math.min(start + this.spec.resize.migrateBatch, oldNb);
        rec.claim(owner, futId, start, end);
        w[CURSOR] = end;
      } else {
        const dead = this.log.deadClaim(futId);
        if (dead === null) {
          // Nothing to claim. With every batch done, the migrator of the last
          // one may have died between its DONE and its finishResize: nobody
          // else would finish the resize, so this thread tries (below).
          orphanedFinish = Atomics.load(w, DONE) >= oldNb;
        } else {
          start = dead.claimStart;
          end = dead.claimEnd;
          rec.claim(owner, futId, start, end);
          dead.unclaim();
        }
      }
    } finally {
      unlock(w, R_LOCK);
    }
    if (start === end) {
      if (orphanedFinish) this.finishResize();
      return false;
    }
    this.domain.readBegin();
    try {
      this.refresh();
      // Helpers ('help' policy) migrate single buckets out of batch order; if
      // they moved every bucket of this batch and the resize finished since
      // the claim, there is nothing left to do here.
      const fut = this.fut;
      if (fut !== null && fut.id === futId) {
        const cur = this.cur;
        for (let ob = start; ob < end; ob++) this.migrateBucket(cur, fut, ob);
      }
    } finally {
      this.domain.readEnd();
    }
    // A taken-over batch counts too (its dead claimer may have counted it
    // already, then died before unclaiming: DONE may pass OLD_NB, hence >=).
    Atomics.add(w, DONE, end - start);
    rec.unclaim();
    if (Atomics.load(w, CURSOR) >= oldNb) this.finishResize();
    return true;
  }

  /**
   * Copies old bucket ob's entries into the future table and marks it MOVED.
   * Idempotent (a helper and the batch that owns the bucket may both come).
   * Lock order: the old bucket, then each new bucket, never the reverse.
   */
  private migrateBucket(cur: RTable, fut: RTable, ob: number): void {
    const ot = cur.t;
    ot.lockBucket(ob, this.domain.ownerId());
    try {
      if (!ot.isMoved(ob)) this.moveChainLocked(cur, fut, ob, true);
    } finally {
      ot.unlockBucket(ob);
    }
  }

  /**
   * Under old bucket ob's lock (not MOVED): copies its entries into the
   * future table and marks it MOVED. `lockNew` is false only for the repair,
   * which already holds every bucket lock of the future table.
   */
  private moveChainLocked(cur: RTable, fut: RTable, ob: number, lockNew: boolean): void {
    const ot = cur.t;
    const ft = fut.t;
    const owner = this.domain.ownerId();
    const chain = ot.chainLocked(ob, this.chain);
    for (const e of chain) {
      const h = ot.hashOf(e);
      const nb = h & ft.mask;
      if (lockNew) ft.lockBucket(nb, owner);
      try {
        // A migrator that died may have copied part of this bucket already,
        // and the thread that took its lock over may not be a migrator (a
        // writer, the repair after a death): whoever comes next must not
        // copy an entry twice. A key of an unmigrated old bucket is in the
        // new table only if such a copy exists (inserts and deletes of it
        // wait for the migration), and nothing wrote the old copy since.
        ot.copyKey(e, this.mks.bytes);
        if (ft.findLocked(nb, h, this.mks.words) >= 0) continue;
        let ne = ft.alloc.alloc(owner);
        // An insert into the future table takes its element before checking
        // for room and gives it back when there is none (insertLocked): for
        // that moment a table that is exactly full looks over-full. Room for
        // every entry still to migrate is guaranteed, so wait for it (bounded).
        let since = 0;
        while (ne < 0) {
          if (since === 0) since = performance.now();
          else if (performance.now() - since > MIGRATE_ALLOC_WAIT_MS) break;
          Atomics.wait(sleepCell, 0, 0, 0.01);
          ne = ft.alloc.alloc(owner);
        }
        if (ne < 0) throw new Error(`rightsize: hash_resize future table (${fut.nb} buckets) has no room for a migrated entry (accounting bug)`);
        ft.linkCopy(nb, ne, ot, e);
      } finally {
        if (lockNew) ft.unlockBucket(nb);
      }
    }
    ot.markMoved(ob);
    // Marked once (isMoved is checked under this lock): its entries no longer need reserved room.
    Atomics.sub(this.words, PENDING, chain.length);
  }

  /**
   * Repair, under every bucket lock of both tables: an old bucket whose
   * migrator died part-way has some entries copied into the future table and
   * is not MOVED, so those keys are linked in both tables (counted twice, and
   * a reader of the old bucket would not see a later write to the new copy).
   * Finishing its move restores "a key is live in exactly one table".
   */
  private finishHalfMovedLocked(cur: RTable, fut: RTable): void {
    const ot = cur.t;
    const ft = fut.t;
    for (let ob = 0; ob < cur.nb; ob++) {
      if (ot.isMoved(ob)) continue;
      for (const e of ot.chainLocked(ob, this.chain)) {
        const h = ot.hashOf(e);
        ot.copyKey(e, this.mks.bytes);
        if (ft.findLocked(h & ft.mask, h, this.mks.words) >= 0) {
          this.moveChainLocked(cur, fut, ob, false);
          break;
        }
      }
    }
  }

  /**
   * When every old bucket is MOVED: FUT becomes CUR, the old table waits for
   * its grace period. Checked under R_LOCK bucket by bucket, not counted: a
   * batch still being migrated (its migrator comes back here) or abandoned by
   * a dead migrator (the next migrator takes it over) keeps the resize open.
   */
  private finishResize(): void {
    const w = this.words;
    let finished = false;
    this.lockResize();
    try {
      this.refresh();
      const old = this.cur;
      const fut = Atomics.load(w, FUT);
      if (fut === 0) return;
      for (let ob = 0; ob < old.nb; ob++) if (!old.t.isMoved(ob)) return;
      finished = true;
      Atomics.store(w, DRIVER_OWNER, 0);
      Atomics.add(w, EPOCH, 1);
      Atomics.store(w, CUR, fut);
      Atomics.store(w, FUT, 0);
      Atomics.add(w, EPOCH, 1);
      Atomics.add(w, w[DIR] === GROW ? GROWS : SHRINKS, 1);
      Atomics.add(this.time64, 0, process.hrtime.bigint() - Atomics.load(this.time64, 1));
      // Unpublished above; readers that still hold it keep it alive until
      // they pass a quiescent point. beginResize checked that a slot is free.
      if (!this.retire.retire(old.id, old.bytes)) throw new Error('rightsize: hash_resize retire queue full at finish (bug)');
    } finally {
      unlock(w, R_LOCK);
    }
    if (!finished) return;
    this.reclaim();
    // The finishing thread (often the resizer, which may sleep for long) lets
    // go of the old table now rather than at the next resize.
    this.refresh();
    // As rhashtable's worker does after each resize: the entries may already
    // call for the next one (a burst that outran the grow, a mass delete).
    if (this.spec.resize.autoResize) {
      const dir = this.watermarkDirection(this.cur);
      if (dir !== 0) this.requestResize(dir);
    }
  }

  // ---- recovery after CPU deaths (see recovery/log.ts) ----

  /**
   * The deferred resizer thread ends with the thread that started it (a
   * worker's nested workers end with it), but nobody marks its own userspace
   * slot dead. Once its starter is dead, it is marked dead here: its locks,
   * records and claims are then taken over like any dead CPU's, and grace
   * periods stop waiting for it. Returns whether it was found dead.
   */
  private reapResizer(): boolean {
    const w = this.words;
    const r = Atomics.load(w, RESIZER_OWNER);
    if (r === 0) return false;
    const parent = Atomics.load(w, RESIZER_PARENT);
    if (parent === 0 || !this.domain.isDeadOwner(parent)) return false;
    if (Atomics.compareExchange(w, RESIZER_OWNER, r, 0) === r) this.domain.markDead(this.domain.ownerSlot(r));
    return true;
  }

  /** Takes R_LOCK; one taken over from a dead owner is repaired first (recoverResizeLock). */
  private lockResize(): void {
    if (lock(this.words, R_LOCK, this.domain.ownerId(), this.owners, 'hash_resize resize lock') === RECOVERED) this.recoverResizeLock();
  }

  /**
   * Under R_LOCK, taken over from a dead owner. Its sections write the table
   * state as a seqlock (EPOCH odd while CUR/FUT change): an odd EPOCH is
   * closed, after completing a finish that had made FUT the CUR (FUT cleared)
   * or leaving a begin that had not published FUT unpublished. BEGIN is
   * cleared. The bytes are recounted (recountBytes), which drops a table the
   * dead owner allocated or switched away from without retiring.
   */
  private recoverResizeLock(): void {
    const w = this.words;
    Atomics.add(w, W_LOCKS_RECOVERED, 1);
    Atomics.store(w, BEGIN, 0);
    if ((Atomics.load(w, EPOCH) & 1) !== 0) {
      const fut = Atomics.load(w, FUT);
      if (fut !== 0 && fut === Atomics.load(w, CUR)) Atomics.store(w, FUT, 0);
      Atomics.add(w, EPOCH, 1);
    }
    if (Atomics.load(w, FUT) === 0) Atomics.store(w, DRIVER_OWNER, 0);
    this.refresh();
    this.recountBytes();
  }

  /**
   * Under R_LOCK: the bytes held become what the map holds (the control
   * segment, CUR and FUT with their committed chunks, tables waiting for their
   * grace period). Taking R_LOCK over runs it at once; the repair runs it again
   * holding the allocator locks too, so a chunk being made at that moment
   * (committed, not yet counted by its live creator) cannot be counted twice.
   */
  private recountBytes(): void {
    const held = this.retire.words.byteLength + this.cur.bytes + (this.fut?.bytes ?? 0) + this.retire.pendingBytes();
    this.header.addBytes(held - this.header.heldBytes());
  }

  /** A redo record a dead predecessor of this thread's slot left ACTIVE: taking its bucket lock replays it. */
  private settleRecord(rec: LogRecord): void {
    this.refresh();
    const T = rec.area === this.cur.id ? this.cur : rec.area === this.fut?.id ? this.fut : null;
    if (T === null || rec.index < 0 || rec.index >= T.nb) return;
    T.t.lockBucket(rec.index, this.domain.ownerId());
    T.t.unlockBucket(rec.index);
  }

  /**
   * After a death, under R_LOCK, every bucket lock of CUR then of FUT, then
   * both allocators (the lock order): every pool is rebuilt from the chains
   * (CUR's only when no resize is under way: a table being migrated keeps its
   * moved elements allocated until it is retired, so only its count is
   * redone) and ENTRIES becomes the entries linked in both tables.
   */
  protected override repairLocked(): number {
    const w = this.words;
    const owner = this.domain.ownerId();
    this.reapResizer();
    this.lockResize();
    try {
      // Retire-queue slots a dead thread was filling or freeing come back (a
      // retire cut short is lost: its table is below CUR and dropped as such;
      // the bytes are recounted below either way).
      this.retire.recoverDead(() => {});
      this.refresh();
      const cur = this.cur;
      const fut = this.fut;
      return withAllBuckets(cur.t, owner, () => {
        const underFut = (): number => {
          cur.t.alloc.lockForRepair(owner);
          fut?.t.alloc.lockForRepair(owner);
          try {
            const c = markLinked(cur.t, cur.nb);
            let reclaimed = 0;
            let linked = c.linked;
            if (fut === null) reclaimed += cur.t.alloc.rebuildFreeList(c.reached, c.linked);
            else {
              cur.t.alloc.recountAllocated();
              const f = markLinked(fut.t, fut.nb);
              reclaimed += fut.t.alloc.rebuildFreeList(f.reached, f.linked);
              linked += f.linked;
            }
            Atomics.store(w, ENTRIES, linked);
            this.recountBytes();
            return reclaimed;
          } finally {
            fut?.t.alloc.unlockForRepair();
            cur.t.alloc.unlockForRepair();
          }
        };
        if (fut === null) return underFut();
        return withAllBuckets(fut.t, owner, () => {
          this.finishHalfMovedLocked(cur, fut);
          return underFut();
        });
      });
    } finally {
      unlock(w, R_LOCK);
    }
  }

  /** GROW or SHRINK when the entries are past a watermark of table T, else 0. */
  private watermarkDirection(T: RTable): number {
    const entries = Atomics.load(this.words, ENTRIES);
    const r = this.spec.resize;
    if (entries > r.growAt * T.nb && T.nb < this.maxBuckets) return GROW;
    if (entries < r.shrinkAt * T.nb && T.nb > MIN_BUCKETS && entries <= (T.nb >>> 1) * r.growAt) return SHRINK;
    return 0;
  }

  /** Frees retired tables whose grace period is over. */
  reclaim(): number {
    return this.retire.reclaim((_seg, bytes) => this.header.addBytes(-bytes));
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
    while (n < batches && this.migrateBatch()) n++;
    return n;
  }

  // ---- the deferred resizer ----

  private startResizer(): void {
    const url = builtModuleUrl('./resizer-thread.js', import.meta.url);
    const worker = new Worker(url, { workerData: { handle: this.handle, parent: this.domain.ownerId() } });
    worker.unref();
    worker.on('error', (err) => {
      process.emitWarning(`rightsize: hash_resize resizer thread of map ${this.id} failed: ${String(err)}`);
    });
    this.resizer = worker;
  }

  /**
   * The resizer thread's loop: beat, sleep until woken (or 50 ms), start what was
   * requested if the watermark still calls for it, migrate, reclaim. Ends when
   * the map is destroyed.
   */
  runResizer(parent = 0): void {
    const w = this.words;
    const r = this.spec.resize;
    // Who this resizer is and which thread it lives and dies with (reapResizer).
    Atomics.store(w, RESIZER_PARENT, parent);
    Atomics.store(w, RESIZER_OWNER, this.domain.ownerId());
    let lastWork = performance.now();
    for (;;) {
      if (this.header.destroyed) return;
      this.answerSegmentWants();
      const now = process.hrtime.bigint();
      Atomics.store(this.time64, 2, now);
      if (Atomics.load(w, REQUEST) !== 0 || Atomics.load(w, FUT) !== 0 || this.retire.pending().length > 0) lastWork = performance.now();
      else if (performance.now() - lastWork > RESIZER_IDLE_EXIT_MS && this.idleExit(now)) return;
      const wake = Atomics.load(w, WAKE);
      const req = Atomics.exchange(w, REQUEST, 0);
      if (req !== 0 && Atomics.load(w, FUT) === 0) {
        // Only what the entries still call for now (the request may be old);
        // a full table grows whatever the watermark says.
        this.refresh();
        const dir = this.watermarkDirection(this.cur) || (this.isTableFull() ? GROW : 0);
        if (dir !== 0 && (r.autoResize || dir === req)) this.beginResize(dir);
      }
      while (this.migrateBatch()) {
        if (this.header.destroyed) return;
      }
      this.reclaim();
      if (Atomics.load(w, REQUEST) === 0 && Atomics.load(w, FUT) === 0) Atomics.wait(w, WAKE, wake, 50);
    }
  }

  /**
   * An idle resizer ends, so that its thread (and the garbage it holds: it
   * allocates too little to collect often) goes away; the next request starts
   * another (ensureResizer sees no beat). Clearing the beat first and then
   * looking for work once more closes the race with a requester that saw the
   * old beat and so did not start one: it posted its request before we look.
   */
  private idleExit(beat: bigint): boolean {
    if (Atomics.compareExchange(this.time64, 2, beat, 0n) !== beat) return false;
    if (Atomics.load(this.words, REQUEST) === 0 && Atomics.load(this.words, FUT) === 0) {
      Atomics.compareExchange(this.words, RESIZER_OWNER, this.domain.ownerId(), 0);
      return true;
    }
    Atomics.compareExchange(this.time64, 2, 0n, process.hrtime.bigint());
    return false;
  }

  private isTableFull(): boolean {
    return this.cur.t.alloc.entries() >= this.cur.nb;
  }

  override destroy(): void {
    super.destroy();
    this.resizer?.terminate().catch(() => undefined);
    this.resizer = null;
  }

  // ---- iteration: best effort during a resize ----

  /**
   * The entries of "virtual bucket" vb of CUR: its own chain when not yet
   * migrated, else the entries of the future table that came from it (a grow
   * splits it in two, a shrink merges it with a sibling: filter by hash).
   * Each visited bucket is locked while read. Returns false when the table
   * state changed under us (the caller restarts).
   */
  private visitVirtual(vb: number, fn: (t: ChainedTable, e: number, b: number) => void): boolean {
    const cur = this.cur;
    const ct = cur.t;
    const owner = this.domain.ownerId();
    ct.lockBucket(vb, owner);
    let moved: boolean;
    try {
      moved = ct.isMoved(vb);
      if (!moved) for (const e of ct.chainLocked(vb, this.vkeys)) fn(ct, e, vb);
    } finally {
      ct.unlockBucket(vb);
    }
    if (!moved) return true;
    const fut = this.fut;
    if (fut === null) return false;
    const ft = fut.t;
    const targets = fut.nb > cur.nb ? [vb, vb + cur.nb] : [vb & ft.mask];
    for (const nb of targets) {
      ft.lockBucket(nb, owner);
      try {
        if (ft.isMoved(nb)) return false;
        for (const e of ft.chainLocked(nb, this.vkeys)) if ((ft.hashOf(e) & ct.mask) === vb) fn(ft, e, nb);
      } finally {
        ft.unlockBucket(nb);
      }
    }
    return true;
  }

  getNextKey(key: Uint8Array | null, next: Uint8Array): number {
    if (key !== null) this.checkKey(key);
    else this.checkLive();
    if (!(next instanceof Uint8Array) || next.length !== this.spec.keySize) throw new TypeError(`next must be a Uint8Array of ${this.spec.keySize} bytes`);
    if (!this.userMayRead()) return -Errno.EPERM;
    this.domain.readBegin();
    try {
      for (let attempt = 0; attempt < 64; attempt++) {
        this.refresh();
        if (key !== null && this.iterEpoch !== -1 && this.iterEpoch !== this.epoch) Atomics.add(this.words, ITER_RESTARTS, 1);
        this.iterEpoch = this.epoch;
        const r = this.nextKeyOnce(key, next);
        if (r !== null) return r;
      }
      throw new Error('rightsize: hash_resize getNextKey could not find a stable table in 64 attempts');
    } finally {
      this.domain.readEnd();
    }
  }

  /** One attempt; null when the table state changed mid-way. */
  private nextKeyOnce(key: Uint8Array | null, next: Uint8Array): number | null {
    const nbCur = this.cur.nb;
    let vb = 0;
    if (key !== null) {
      const h = this.hashBytes(key);
      vb = h & (nbCur - 1);
      const entries = this.sortedVirtual(vb);
      if (entries === null) return null;
      const pos = entries.findIndex((x) => x.h === h >>> 0 && compareBytes(x.k, key) === 0);
      if (pos >= 0) {
        if (pos + 1 < entries.length) {
          next.set(entries[pos + 1]!.k);
          return 0;
        }
        vb++;
      } else {
        // A key that is not in the map restarts the walk, as the kernel's does.
        vb = 0;
      }
    }
    for (; vb < nbCur; vb++) {
      const entries = this.sortedVirtual(vb);
      if (entries === null) return null;
      if (entries.length > 0) {
        next.set(entries[0]!.k);
        return 0;
      }
    }
    return -Errno.ENOENT;
  }

  /**
   * The keys of virtual bucket vb (copied under the bucket locks) in a fixed
   * order: hash, then key bytes. Chain order would not do: a migration
   * relinks each entry at the head of its new chain and a grow splits the
   * bucket in two, so a walk resuming "after key k" in chain order repeats
   * or skips keys of a bucket migrated between two getNextKey calls, within
   * one table epoch, where no restart is counted. Null when the table state
   * changed under the visit.
   */
  private sortedVirtual(vb: number): { h: number; k: Uint8Array }[] | null {
    const out: { h: number; k: Uint8Array }[] = [];
    const ok = this.visitVirtual(vb, (t, e) => {
      const k = new Uint8Array(this.spec.keySize);
      t.copyKey(e, k);
      out.push({ h: t.hashOf(e) >>> 0, k });
    });
    if (!ok) return null;
    return out.sort((a, b) => a.h - b.h || compareBytes(a.k, b.k));
  }

  lookupBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.batch(cursor, count, opts, false);
  }

  lookupAndDeleteBatch(cursor: number | null, count: number, opts: BatchOptions = {}): BatchResult {
    return this.batch(cursor, count, opts, true);
  }

  private batch(cursor: number | null, count: number, opts: BatchOptions, del: boolean): BatchResult {
    this.checkLive();
    if (!this.userMayRead() || (del && !this.userMayWrite())) return { err: -Errno.EPERM, keys: [], values: [], count: 0, cursor };
    this.domain.readBegin();
    try {
      this.refresh();
      // A cursor is a bucket index of the table it was made in: if the table
      // changed since this thread's last batch, the walk may skip or repeat
      // buckets. Best effort, as the docs say, but counted, not hidden.
      if (cursor !== null && this.batchEpoch !== -1 && this.batchEpoch !== this.epoch) Atomics.add(this.words, ITER_RESTARTS, 1);
      const res = walkBatch(this.virtualWalk(), cursor, count, opts, del);
      this.refresh();
      this.batchEpoch = this.epoch;
      // The shrink the batch's deletes held back (see virtualWalk), once the walk is complete.
      if (del && res.cursor === null && this.spec.resize.autoResize && this.fut === null) this.checkWatermarks(this.cur, false);
      return res;
    } finally {
      this.domain.readEnd();
    }
  }

  /**
   * CUR's virtual buckets for walkBatch. A bucket is collected whole: its
   * entries are gathered first, then (when they fit) copied and, for
   * lookupAndDelete, deleted through the normal delete path (which handles a
   * resize under way).
   */
  private virtualWalk(): BucketWalk {
    const nBuckets = this.cur.nb;
    const startEpoch = this.epoch;
    return {
      nBuckets,
      looksEmpty: (vb) => {
        const head = this.cur.t.buckets[vb * BUCKET_WORDS + HEAD]!;
        return head < 0 && head !== MOVED;
      },
      collect: (vb, room, res, del) => {
        this.refresh();
        if (this.epoch !== startEpoch || vb >= this.cur.nb) Atomics.add(this.words, ITER_RESTARTS, 1);
        if (vb >= this.cur.nb) return 0;
        const keys: Uint8Array[] = [];
        const values: Uint8Array[] = [];
        for (let attempt = 0; ; attempt++) {
          keys.length = 0;
          values.length = 0;
          const ok = this.visitVirtual(vb, (t, e) => {
            const k = new Uint8Array(this.spec.keySize);
            t.copyKey(e, k);
            const v = new Uint8Array(this.spec.valueSize);
            copyBytes(t.store.bytes(e), t.valueByteOffset(e), v, 0, this.spec.valueSize);
            keys.push(k);
            values.push(v);
          });
          if (ok) break;
          if (attempt > 64) throw new Error('rightsize: hash_resize batch could not read a stable bucket');
          this.refresh();
        }
        if (keys.length > room) return keys.length;
        // The entries are reported deleted, so their deletes must not fail
        // with -EBUSY under the 'fail' policy (they help the resize instead),
        // nor shrink the table while the caller still walks it with a cursor
        // of this size (the shrink is asked for when the walk completes).
        this.batchDeleting = del;
        try {
          for (let i = 0; i < keys.length; i++) {
            res.keys.push(keys[i]!);
            res.values.push(values[i]!);
            res.count++;
            if (del) {
              this.ks.load(keys[i]!);
              this.writeOp(DELETE, hashKeySigned(keys[i]!, this.seed), null, 0, null, 0, 0);
            }
          }
        } finally {
          this.batchDeleting = false;
        }
        return keys.length;
      },
    };
  }

  stats(): MapStats {
    this.checkLive();
    this.reclaim();
    this.refresh();
    const w = this.words;
    const fut = this.fut;
    return {
      type: this.spec.type,
      entries: Atomics.load(w, ENTRIES),
      maxEntries: this.spec.maxEntries,
      buckets: this.cur.nb,
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
    };
  }
}

/** A fresh table segment of nb buckets (and nb element slots). */
function newTable(nb: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(tableWords(nb) * 4);
  const w = new Int32Array(sab);
  // No element yet: chunks come as entries arrive (see MAX_TABLE_CHUNKS).
  ElementAllocator.init(w, T_ALLOC, 0, 0);
  w[T_INFO] = nb;
  w[T_INFO + 1] = nb;
  w[T_INFO + 2] = chunkSizeFor(nb);
  w[T_INFO + 3] = sab.byteLength / 8;
  ChainedTable.initBuckets(new Int32Array(sab, T_BUCKETS * 4, nb * BUCKET_WORDS), nb);
  return sab;
}

/** The most buckets a table of this map may have: enough for maxEntries below the grow watermark. */
function maxBucketsOf(spec: NormalizedSpec): number {
  return Math.max(MIN_BUCKETS, nextPowerOfTwo(Math.ceil(spec.maxEntries / spec.resize.growAt)));
}

/** Lexicographic order of two byte strings of the same length. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
