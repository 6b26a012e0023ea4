import { MAX_AREA_BYTES, type SegmentStore } from './segments.js';

/**
 * A shared array of fixed-width records (Int32 words) that grows by pages
 * without ever moving a record, so that it needs no upper bound at creation
 * (hash_resize's element-chunk directory: one record per chunk index, and
 * setMaxEntries may raise the bound past anything known when the map was
 * made).
 *
 * Page 0 lives inside an area made with the map (`words` at `firstAt`,
 * `firstRecords` records); page k >= 1 holds firstRecords * 2^k records, in
 * a segment of its own. So the pages double: 32 page-table slots reach any
 * index an Int32 word can hold, the memory stays within twice what the
 * records in use need, and the page of record r is found with a division
 * and a count of leading zeros (the miss path only: readers cache what
 * they found in the records, not the records themselves).
 *
 * Pages are made on demand, under the owner's lock, in the order segments
 * are (memory/segments.ts): the new page is published before its id is
 * stored in the page table (PAGE_SLOTS words at `tableAt`) with one
 * Atomics.store. Any thread that loads that id with Atomics.load finds the
 * page in its own queue (rule 1), never waiting for the thread that made it.
 * A page is zeroed when made and is never freed before the map: a view of
 * it, once taken, stays good for the map's life.
 */
export class PagedRecords {
  /** Page-table slots (slot 0 unused: page 0 is inline). */
  static readonly PAGE_SLOTS = 32;

  /** This thread's views of pages 1..31 (page 0 is `words`). */
  private readonly pages: (Int32Array | undefined)[] = [];
  /** Set by locate(): the array and word index of the record it found. */
  private arr: Int32Array;
  private idx = 0;

  constructor(
    private readonly words: Int32Array,
    /** Word index of the page table in `words`. */
    private readonly tableAt: number,
    /** Word index of page 0 in `words`. */
    private readonly firstAt: number,
    readonly firstRecords: number,
    readonly recordWords: number,
    private readonly segments: SegmentStore,
  ) {
    this.arr = words;
  }

  /** Page-table words an owner reserves. */
  static tableWords(): number {
    return PagedRecords.PAGE_SLOTS;
  }

  /** The page of record r. */
  static pageOf(r: number, firstRecords: number): number {
    return 31 - Math.clz32(Math.floor(r / firstRecords) + 1);
  }

  /** The first record of page k. */
  static pageStart(k: number, firstRecords: number): number {
    return firstRecords * (2 ** k - 1);
  }

  /** Bytes of page k (k >= 1) for records of `recordWords` words. */
  static pageBytes(k: number, firstRecords: number, recordWords: number): number {
    return firstRecords * 2 ** k * recordWords * 4;
  }

  /**
   * The most records any such array can hold: the pages that fit the page
   * table and MAX_AREA_BYTES each (one page is one shared area).
   */
  static maxRecords(firstRecords: number, recordWords: number): number {
    let k = 1;
    while (k < PagedRecords.PAGE_SLOTS && PagedRecords.pageBytes(k, firstRecords, recordWords) <= MAX_AREA_BYTES) k++;
    return PagedRecords.pageStart(k, firstRecords);
  }

  /** This thread's view of page k (k >= 1), or undefined while it does not exist. */
  private page(k: number): Int32Array | undefined {
    const known = this.pages[k];
    if (known !== undefined) return known;
    // Atomics.load: the page was published before this id was stored, so
    // the segment store has it (in its queue at worst).
    const id = Atomics.load(this.words, this.tableAt + k);
    if (id === 0) return undefined;
    const view = new Int32Array(this.segments.get(id));
    this.pages[k] = view;
    return view;
  }

  /** Points arr/idx at record r's first word; false when its page does not exist. */
  private locate(r: number): boolean {
    if (r < this.firstRecords) {
      this.arr = this.words;
      this.idx = this.firstAt + r * this.recordWords;
      return true;
    }
    const k = PagedRecords.pageOf(r, this.firstRecords);
    const p = k < PagedRecords.PAGE_SLOTS ? this.page(k) : undefined;
    if (p === undefined) return false;
    this.arr = p;
    this.idx = (r - PagedRecords.pageStart(k, this.firstRecords)) * this.recordWords;
    return true;
  }

  /** Word f of record r, read with Atomics.load; 0 when its page does not exist (a fresh page reads 0 too). */
  load(r: number, f: number): number {
    return this.locate(r) ? Atomics.load(this.arr, this.idx + f) : 0;
  }

  /** Word f of record r, a plain read (under the owner's lock); 0 when its page does not exist. */
  get(r: number, f: number): number {
    return this.locate(r) ? this.arr[this.idx + f]! : 0;
  }

  /** Stores word f of record r with Atomics.store (its page must exist: see missingPage). */
  store(r: number, f: number, v: number): void {
    if (!this.locate(r)) throw new Error(`rightsize: record ${r} of a paged array has no page yet`);
    Atomics.store(this.arr, this.idx + f, v);
  }

  /** Writes word f of record r with a plain store (under the owner's lock; its page must exist). */
  set(r: number, f: number, v: number): void {
    if (!this.locate(r)) throw new Error(`rightsize: record ${r} of a paged array has no page yet`);
    this.arr[this.idx + f] = v;
  }

  /** Record r's page, for a record an owner keeps below maxRecords (the page table's last slot otherwise). */
  private lastPage(r: number): number {
    return Math.min(PagedRecords.pageOf(r, this.firstRecords), PagedRecords.PAGE_SLOTS - 1);
  }

  /** The first page up to record r's that does not exist yet, or -1 when they all do. */
  missingPage(r: number): number {
    const last = this.lastPage(r);
    for (let k = 1; k <= last; k++) if (Atomics.load(this.words, this.tableAt + k) === 0) return k;
    return -1;
  }

  /** Bytes of page k of this array. */
  pageBytes(k: number): number {
    return PagedRecords.pageBytes(k, this.firstRecords, this.recordWords);
  }

  /** Bytes the pages up to record r's that do not exist yet would take. */
  bytesToReach(r: number): number {
    const last = this.lastPage(r);
    let n = 0;
    for (let k = 1; k <= last; k++) if (Atomics.load(this.words, this.tableAt + k) === 0) n += this.pageBytes(k);
    return n;
  }

  /**
   * Stores the id of page k, a zeroed segment of pageBytes(k) the caller
   * published just before (under the owner's lock). One Atomics.store: a
   * reader sees no page or the whole page.
   */
  link(k: number, id: number, sab: SharedArrayBuffer): void {
    if (sab.byteLength !== this.pageBytes(k)) throw new Error(`rightsize: page ${k} must take ${this.pageBytes(k)} bytes, got ${sab.byteLength}`);
    Atomics.store(this.words, this.tableAt + k, id);
    this.pages[k] = new Int32Array(sab);
  }

  /** Records in the pages that exist now (pages are made in order: the first missing one ends them). */
  extent(): number {
    let k = 1;
    while (k < PagedRecords.PAGE_SLOTS && Atomics.load(this.words, this.tableAt + k) !== 0) k++;
    return PagedRecords.pageStart(k, this.firstRecords);
  }

  /** Segment ids of the pages that exist (page 0 has none). */
  pageIds(): number[] {
    const out: number[] = [];
    for (let k = 1; k < PagedRecords.PAGE_SLOTS; k++) {
      const id = Atomics.load(this.words, this.tableAt + k);
      if (id !== 0) out.push(id);
    }
    return out;
  }

  /** Bytes of the pages that exist (page 0 is part of its owner's area). */
  pageBytesHeld(): number {
    let n = 0;
    for (let k = 1; k < PagedRecords.PAGE_SLOTS; k++) if (Atomics.load(this.words, this.tableAt + k) !== 0) n += this.pageBytes(k);
    return n;
  }
}
