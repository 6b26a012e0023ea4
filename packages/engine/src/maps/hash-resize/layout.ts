import { PagedRecords } from '../../memory/paged-records.js';
import { LINE_WORDS } from '../../memory/segments.js';
import { BUCKET_WORDS } from '../chained/table.js';
import type { ElemLayout } from '../chained/layout.js';
import { TYPE_BASE } from '../header.js';

/**
 * hash_resize's shared words, in the map header (Int32 word indexes).
 * Lines that different CPUs write in the hot path (entries, EBUSY counts,
 * the migration cursor and done count) each have a cache line of their own;
 * the table-state line (CUR, FUT, EPOCH), read by every operation, changes
 * only when a resize begins or ends or a chunk is released.
 */
/** The resize lock: serialises begin, claim of a migration batch, and finish. */
export const R_LOCK = TYPE_BASE;
const STATE = TYPE_BASE + LINE_WORDS;
/** Segment id of the current table: where lookups start. */
export const CUR = STATE + 0;
/** Segment id of the table a resize relinks the entries into, 0 when idle. */
export const FUT = STATE + 1;
/**
 * Odd while CUR/FUT change (under R_LOCK), even otherwise: a thread reads
 * EPOCH, CUR, FUT, EPOCH and keeps the pair only if both EPOCH reads match
 * and are even (a seqlock over the table state). It also moves by 2 when an
 * element chunk is unpublished (see ElementPool.release), so that every
 * thread drops its chunk views before the chunk's index can be used again.
 */
export const EPOCH = STATE + 2;
/** Buckets of the table being migrated away from. */
export const OLD_NB = STATE + 3;
/** 1 grow, 2 shrink (the resize under way). */
export const DIR = STATE + 4;
/** Next table segment id to hand out (ids are never reused; CUR < FUT always). */
export const NEXT_SEG = STATE + 5;
export const GROWS = STATE + 6;
export const SHRINKS = STATE + 7;
/** Chunks and chunk-directory pages made so far: their segment ids are CHUNK_SEG_BASE plus this count (never reused). */
export const NEXT_CHUNK = STATE + 9;
/**
 * Owner id of the thread driving the resize under way with the 'inline'
 * driver (0 otherwise): when it died, the next writer that meets the resize
 * takes over (Migration.replaceDeadDriver).
 */
export const DRIVER_OWNER = STATE + 10;
/**
 * Owner id of the deferred resizer thread (0 when none runs) and of the
 * thread that started it. A worker's nested workers end with it, so when
 * the starter dies the resizer is dead too, though nobody marks its own
 * userspace slot dead (see Resizer.reap).
 */
export const RESIZER_OWNER = STATE + 11;
export const RESIZER_PARENT = STATE + 12;
/** Pending request for the deferred resizer: 0, GROW or SHRINK. */
export const REQUEST = TYPE_BASE + 2 * LINE_WORDS;
/** Bumped (and notified) to wake the resizer thread. */
export const WAKE = REQUEST + 1;
/** Old buckets migrated so far in this resize (atomic adds by migrators). */
export const DONE = TYPE_BASE + 3 * LINE_WORDS;
/**
 * Next old bucket to hand out to a migrator (changed under R_LOCK). Beside
 * DONE, off the table-state line: it moves at every batch, and every
 * operation reads EPOCH; on one line, each batch claim would cost every CPU
 * a cache miss on its next operation.
 */
export const CURSOR = DONE + 1;
/** Counters CPUs bump: EBUSY returned, retries spent, iteration restarts, elements relocated, chunks released. */
export const EBUSY_COUNT = TYPE_BASE + 4 * LINE_WORDS;
export const RETRY_COUNT = EBUSY_COUNT + 1;
export const ITER_RESTARTS = EBUSY_COUNT + 2;
export const RELOCATED = EBUSY_COUNT + 3;
export const CHUNKS_RELEASED = EBUSY_COUNT + 4;
/** Live entries of the map (the maxEntries bound is checked against it). */
export const ENTRIES = TYPE_BASE + 5 * LINE_WORDS;
/** Byte offset of three BigInt64 words: total ns spent resizing, start of the resize under way, the resizer thread's last beat (hrtime ns). */
export const TIME_BYTE_OFFSET = (TYPE_BASE + 6 * LINE_WORDS) * 4;

export const GROW = 1;
export const SHRINK = 2;

/** Segment 1: the retire queue; 2: the element pool's control words; tables and chunks start at 3. */
export const SEG_CONTROL = 1;
export const SEG_POOL = 2;
export const FIRST_TABLE_SEG = 3;
/**
 * Element chunks take segment ids from here up, tables below: a thread
 * tells a retired table (any table id below CUR) from a chunk by its id.
 */
export const CHUNK_SEG_BASE = 2 ** 28;
export const RETIRE_SLOTS = 8;

/**
 * A table segment is only a bucket array: [info line][buckets]. Elements
 * belong to the map's pool (ElementPool), so a resize relinks them and the
 * extra memory of a resize is one bucket array.
 */
/** [0] buckets. */
export const T_INFO = 0;
export const T_BUCKETS = LINE_WORDS;

/** Words of a table segment of nBuckets buckets. */
export function tableWords(nBuckets: number): number {
  return T_BUCKETS + nBuckets * BUCKET_WORDS;
}

export const MIN_BUCKETS = 4;
/**
 * Most buckets a table may have: nulls terminators ~b and MOVED must stay
 * distinct, and a bucket array stays a few GiB at most.
 */
export const MAX_TABLE_BUCKETS = 2 ** 27;

/**
 * The element pool's control segment (Int32 words):
 *   line 0: [0] the pool lock;
 *   line 1: [0] LOW, the lowest chunk that may have room; [1] TOP, one past
 *           the highest chunk index in use; [2] elements handed out;
 *           [3] the segment id of a chunk or directory page being made (0 when none);
 *   lines 2-3: the chunk directory's page table (memory/paged-records.ts);
 *   then the directory's page 0: per chunk index c, DIR_WORDS words: the
 *   chunk's segment id (0: none, minus the id: released and waiting for its
 *   grace period, not to be reused yet), elements handed out from it, its
 *   free list head. Later pages (made when chunk indexes pass page 0, as
 *   setMaxEntries raised the bound) are segments of their own.
 */
export const P_LOCK = 0;
export const P_LOW = LINE_WORDS;
export const P_TOP = LINE_WORDS + 1;
export const P_ALLOCATED = LINE_WORDS + 2;
export const P_CREATING = LINE_WORDS + 3;
export const P_PAGES = 2 * LINE_WORDS;
export const P_DIR = P_PAGES + PagedRecords.tableWords();
/** A chunk's directory record: [DIR_ID][DIR_LIVE][DIR_FREE]. */
export const DIR_ID = 0;
export const DIR_LIVE = 1;
export const DIR_FREE = 2;
export const DIR_WORDS = 3;

/**
 * Then, from the first line boundary after page 0 of the directory (room
 * for `firstChunks` chunks), one line per CPU (ElementPool's per-CPU
 * cache): [0] how many elements it holds, [1..] the elements.
 */
export function poolCacheAt(firstChunks: number): number {
  return Math.ceil((P_DIR + DIR_WORDS * firstChunks) / LINE_WORDS) * LINE_WORDS;
}

/** Elements one CPU's cache holds at most: the rest of its line. */
export const CACHE_SLOTS = LINE_WORDS - 1;

/** The CPUs' cache lines, then the userspace threads' shared cache line and its lock's own line. */
export function poolWords(firstChunks: number, nCpus: number): number {
  return poolCacheAt(firstChunks) + (nCpus + 2) * LINE_WORDS;
}

/** Bytes a chunk should stay under: a released or kept chunk is small beside the entries. */
const CHUNK_TARGET_BYTES = 16 * 1024;
const MIN_CHUNK = 16;
const MAX_CHUNK = 1024;
/** Chunk indexes a pool sized for its entries uses at most (bigger maps take bigger chunks). */
const MAX_POOL_CHUNKS = 4096;

/**
 * Elements per chunk (a power of two) for a map sized for maxEntries
 * elements of strideWords words: the initial bound, or
 * spec.resize.maxEntriesCeiling when given (a pre-sizing hint: a map
 * expected to be raised far gets the chunks of its expected size).
 */
export function chunkElements(maxEntries: number, strideWords: number): number {
  let s = MIN_CHUNK;
  while (s < MAX_CHUNK && s * 2 * strideWords * 4 <= CHUNK_TARGET_BYTES) s *= 2;
  while (Math.ceil(maxEntries / s) + 1 > MAX_POOL_CHUNKS) s *= 2;
  let cap = 1;
  while (cap < maxEntries) cap *= 2;
  return Math.max(1, Math.min(s, cap));
}

/**
 * Chunk indexes a pool of maxEntries elements uses at most: room for the entries
 * and for what the per-CPU caches of nCpus CPUs may hold (free elements
 * kept out of the pool must never leave an insert the map admitted without
 * one), plus one chunk, because a relocation holds a new element before it
 * frees the old one.
 */
export function maxChunks(maxEntries: number, chunk: number, nCpus: number): number {
  // nCpus CPU caches and the userspace threads' shared one.
  return Math.ceil((maxEntries + (nCpus + 1) * CACHE_SLOTS) / chunk) + 1;
}

/** The most entries a hash_resize bound may allow, and which hard limit sets it. */
export interface EntriesLimit {
  readonly entries: number;
  /** Chunk indexes the pool may use for them, of `chunk` elements each. */
  readonly chunks: number;
  readonly chunk: number;
  /** 'element ids': ids are non-negative Int32 words; 'directory': the chunk directory's pages. */
  readonly by: 'element ids' | 'directory';
}

/**
 * The engine's hard limit on a pool's entries (setMaxEntries): every element
 * id must be a non-negative Int32 (the negative words of a chain are nulls
 * terminators and MOVED), so the chunks maxChunks asks for stay below
 * 2^31 / chunk; and their directory records must fit the paged directory
 * (whose first page holds `firstChunks`: only tiny chunks meet that one).
 */
export function entriesLimit(chunk: number, nCpus: number, firstChunks: number): EntriesLimit {
  const byIds = Math.floor(2 ** 31 / chunk);
  const byDir = PagedRecords.maxRecords(firstChunks, DIR_WORDS);
  const chunks = Math.min(byIds, byDir);
  const entries = Math.min(2 ** 31 - 1, (chunks - 1) * chunk - (nCpus + 1) * CACHE_SLOTS);
  return { entries, chunks, chunk, by: byIds <= byDir ? 'element ids' : 'directory' };
}

/**
 * hash_resize's element: [NEXT][HASH][key words][value words], 4-byte
 * aligned. No free-list word of its own: a free element keeps its free-list
 * link in HASH (ElementPool). A lock-free reader still standing on a freed
 * element may read that link as a hash; it can only lead to a key compare
 * on junk, and the bucket seqlock it validates with has moved (the element
 * left the chain inside a write section), so it retries. A 4-byte key and
 * value take 16 bytes (HASH's layout adds an AUX word and 8-byte value
 * alignment: 24).
 */
export function compactLayout(keySize: number, valueBytes: number): ElemLayout {
  const keyWords = (keySize + 3) >>> 2;
  const keyOff = 2;
  const valOff = keyOff + keyWords;
  return { keySize, keyWords, valueBytes, extraWords: 0, keyOff, valOff, stride: valOff + ((valueBytes + 3) >>> 2) };
}

/**
 * Resize control (controller.ts, resize-control.ts): line 7 of the type's
 * words. MAX_ENTRIES is the live bound (setMaxEntries; spec.maxEntries at
 * creation); HINT the entries a program said to expect; CTRL_LOCK lets one
 * thread at a time evaluate the adaptive controller (a try-lock: the others
 * skip, they would decide the same); PENDING_* a decision the deferred
 * resizer carries out; LOG_SEQ counts the decisions logged; BOUND_PEAK
 * the highest bound so far.
 */
const CTRL = TYPE_BASE + 7 * LINE_WORDS;
export const MAX_ENTRIES = CTRL + 0;
export const HINT = CTRL + 1;
export const CTRL_LOCK = CTRL + 2;
export const PENDING_DIR = CTRL + 3;
export const PENDING_NB = CTRL + 4;
export const PENDING_REASON = CTRL + 5;
export const LOG_SEQ = CTRL + 6;
/**
 * The highest bound the map ever had: a table grown under it may outlive a
 * lowered bound until it shrinks, so no table has more buckets than this
 * bound allows (verify checks it). Stored before a raised MAX_ENTRIES.
 */
export const BOUND_PEAK = CTRL + 7;
/**
 * The table size (buckets) a PENDING_* decision was made for: a decision
 * made against a table that has since been resized is stale (its target was
 * sized from the old table) and is not carried out.
 */
export const PENDING_FROM = CTRL + 8;
/** Per-reason decision counters (controller.ts REASONS, at most one line). */
export const REASON_COUNTS = TYPE_BASE + 8 * LINE_WORDS;
/** Byte offset of the adaptive controller's Float64 state (two lines). */
export const ADAPTIVE_BYTE_OFFSET = (TYPE_BASE + 9 * LINE_WORDS) * 4;
/** The decision log: a ring of DLOG_SLOTS entries of DLOG_WORDS words, lines 11..34 of the type's words. */
export const DLOG = TYPE_BASE + 11 * LINE_WORDS;
export const DLOG_WORDS = 8;
export const DLOG_SLOTS = (24 * LINE_WORDS) / DLOG_WORDS;
