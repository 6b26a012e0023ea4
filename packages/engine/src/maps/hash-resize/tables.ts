import type { LockOwners } from '../../locks/bucket-lock.js';
import type { SegmentStore } from '../../memory/segments.js';
import type { RecoveryLog } from '../../recovery/log.js';
import type { BucketIndex } from '../chained/ids.js';
import { BUCKET_WORDS, ChainedTable } from '../chained/table.js';
import { CHUNK_SEG_BASE, CUR, EPOCH, FIRST_TABLE_SEG, FUT, T_BUCKETS, T_INFO, tableWords } from './layout.js';
import type { ElementPool } from './pool.js';

/** One table generation as this thread sees it: a bucket array over the map's element pool. */
export interface TableView {
  readonly id: number;
  readonly nb: number;
  /** Bytes of the table's segment (its bucket array). */
  readonly bytes: number;
  readonly t: ChainedTable<ElementPool>;
}

const REFRESH_SPINS = 1_000_000;

/**
 * The table generations: CUR, where lookups start, and FUT, the table a
 * resize relinks into (null when idle), as this thread sees them. The state
 * is a seqlock in the header (EPOCH odd while CUR/FUT change under R_LOCK);
 * `refresh` reads it consistently and rebuilds this thread's views when
 * EPOCH moved (a table switch, or an element chunk released: see
 * ElementPool), dropping tables it no longer needs so that V8 can free them.
 */
export class Tables {
  cur!: TableView;
  fut: TableView | null = null;
  /** The EPOCH the views were built at (-1: never). */
  epoch = -1;
  private readonly views = new Map<number, TableView>();

  constructor(
    private readonly hw: Int32Array,
    private readonly segments: SegmentStore,
    private readonly pool: ElementPool,
    private readonly owners: LockOwners,
    private readonly log: RecoveryLog,
    /** Run on a bucket lock taken over from a dead owner, after the table's own repair (Migration.finishRelink). */
    private readonly onRecover: (T: TableView, b: BucketIndex) => void,
    /** Called while the table state stays odd: takes R_LOCK over if its holder died (which closes it). */
    private readonly unstick: () => void,
  ) {}

  /** A new table segment of nb buckets, empty chains, locks free. */
  static newTable(nb: number): SharedArrayBuffer {
    const sab = new SharedArrayBuffer(tableWords(nb) * 4);
    const w = new Int32Array(sab);
    w[T_INFO] = nb;
    ChainedTable.initBuckets(new Int32Array(sab, T_BUCKETS * 4, nb * BUCKET_WORDS), nb);
    return sab;
  }

  /**
   * Reads CUR/FUT consistently (EPOCH even and unchanged around the reads)
   * and builds this thread's views of those tables; forgets older ones.
   */
  refresh(): void {
    const w = this.hw;
    let ep: number;
    let curId: number;
    let futId: number;
    for (let spins = 0; ; spins++) {
      ep = Atomics.load(w, EPOCH);
      curId = Atomics.load(w, CUR);
      futId = Atomics.load(w, FUT);
      if ((ep & 1) === 0 && Atomics.load(w, EPOCH) === ep) break;
      // An odd EPOCH whose writer died stays odd until R_LOCK is taken over.
      if ((spins & 1023) === 1023) this.unstick();
      if (spins > REFRESH_SPINS) throw new Error('rightsize: hash_resize table state kept changing (a resizer died mid-transition?)');
    }
    if (ep === this.epoch) return;
    this.segments.drain();
    this.pool.forgetReleased();
    this.cur = this.view(curId);
    this.fut = futId === 0 ? null : this.view(futId);
    for (const id of [...this.views.keys()]) if (id !== curId && id !== futId) this.views.delete(id);
    // Every table id below CUR is retired (ids only grow, FUT is always
    // newer than CUR): this thread's store lets them go, whether it viewed
    // them or only received them in a drain.
    for (const [id] of this.segments.entries()) if (id >= FIRST_TABLE_SEG && id < CHUNK_SEG_BASE && id < curId) this.segments.drop(id);
    this.epoch = ep;
  }

  /** This thread's view of table segment `id`. */
  view(id: number): TableView {
    const known = this.views.get(id);
    if (known) return known;
    const sab = this.segments.get(id);
    const words = new Int32Array(sab);
    const nb = words[T_INFO]!;
    const buckets = new Int32Array(sab, T_BUCKETS * 4, nb * BUCKET_WORDS);
    const t = new ChainedTable<ElementPool>(buckets, nb, this.pool.store, this.pool, this.owners);
    const T: TableView = { id, nb, bytes: sab.byteLength, t };
    t.setRecovery(this.log, id, this.hw, (b) => this.onRecover(T, b));
    this.views.set(id, T);
    return T;
  }

  /** Table ids this thread holds views of (for tests that check memory is let go). */
  viewed(): number[] {
    return [...this.views.keys()];
  }
}
