import { LINE_WORDS } from '../../memory/segments.js';
import { ALLOC_CTL_WORDS } from '../hash/allocator.js';
import { BUCKET_WORDS } from '../hash/table.js';
import { TYPE_BASE } from '../header.js';

/**
 * hash_resize's shared words, in the map header (Int32 word indexes).
 * Lines that different CPUs write in the hot path (entries, EBUSY counts,
 * the migration cursor) each have a cache line of their own.
 */
/** The resize lock: serialises begin, claim of a migration batch, and finish. */
export const R_LOCK = TYPE_BASE;
const STATE = TYPE_BASE + LINE_WORDS;
/** Segment id of the current table: where lookups start. */
export const CUR = STATE + 0;
/** Segment id of the table being filled by a resize, 0 when idle. */
export const FUT = STATE + 1;
/**
 * Odd while CUR/FUT change (under R_LOCK), even otherwise: a thread reads
 * EPOCH, CUR, FUT, EPOCH and keeps the pair only if both EPOCH reads match
 * and are even (a seqlock over the table state).
 */
export const EPOCH = STATE + 2;
/** Buckets of the table being migrated away from. */
export const OLD_NB = STATE + 3;
/** 1 grow, 2 shrink (the resize under way). */
export const DIR = STATE + 4;
/** Next segment id to hand out (ids are never reused). */
export const NEXT_SEG = STATE + 5;
export const GROWS = STATE + 6;
export const SHRINKS = STATE + 7;
/** Next old bucket to hand out to a migrator (changed under R_LOCK). */
export const CURSOR = STATE + 8;
/**
 * 1 while beginResize decides whether a resize starts (under R_LOCK), else 0.
 * Set before it reads ENTRIES; an insert reads it after adding to ENTRIES
 * (both sequentially consistent), so either the resize's size check counts
 * the insert or the insert sees BEGIN and starts over.
 */
export const BEGIN = STATE + 9;
/**
 * Owner id of the thread driving the resize under way with the 'inline'
 * driver (0 otherwise): when it died, the next writer that meets the resize
 * takes over (see replaceDeadDriver).
 */
export const DRIVER_OWNER = STATE + 10;
/**
 * Owner id of the deferred resizer thread (0 when none runs) and of the
 * thread that started it. A worker's nested workers end with it, so when
 * the starter dies the resizer is dead too, though nobody marks its own
 * userspace slot dead (see HashResizeMap.reapResizer).
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
 * Entries of the old table still waiting to be copied: set when a resize
 * begins, lowered as each old bucket is marked MOVED. The new table keeps
 * that much room for them; new inserts get the rest.
 */
export const PENDING = DONE + 1;
/** Counters CPUs bump: EBUSY returned, retries spent, iteration restarts. */
export const EBUSY_COUNT = TYPE_BASE + 4 * LINE_WORDS;
export const RETRY_COUNT = EBUSY_COUNT + 1;
export const ITER_RESTARTS = EBUSY_COUNT + 2;
/** Live entries of the map (the maxEntries bound is checked against it). */
export const ENTRIES = TYPE_BASE + 5 * LINE_WORDS;
/** Byte offset of three BigInt64 words: total ns spent resizing, start of the resize under way, the resizer thread's last beat (hrtime ns). */
export const TIME_BYTE_OFFSET = (TYPE_BASE + 6 * LINE_WORDS) * 4;

export const GROW = 1;
export const SHRINK = 2;

/** Segment 1: the control segment (the retire queue); tables start at 2. */
export const SEG_CONTROL = 1;
export const FIRST_TABLE_SEG = 2;
export const RETIRE_SLOTS = 8;

/**
 * A table segment: [allocator control][info line][chunk ids][buckets]; its elements live in chunk segments.
 * A table holds at most as many elements as it has buckets (load 1.0); the
 * grow watermark (0.75 by default) leaves the slack that inserts need while a
 * grow is requested but not yet under way.
 */
export const T_ALLOC = 0;
/** [0] buckets, [1] element capacity (= buckets), [2] elements per chunk, [3] bytes of the table segment itself / 8 (chunks are counted from T_CHUNKS). */
export const T_INFO = ALLOC_CTL_WORDS;
/** Segment ids of the table's element chunks (0 = not allocated yet). */
export const T_CHUNKS = T_INFO + LINE_WORDS;
export const T_BUCKETS = T_CHUNKS + LINE_WORDS;
/**
 * Element chunks a table may have. Elements are allocated a chunk at a time
 * as entries arrive (as the kernel's rhashtable allocates objects on
 * demand), so a table holds its buckets plus memory for the entries it has,
 * not one element per bucket.
 */
export const MAX_TABLE_CHUNKS = 16;

/** Elements per chunk for a table of nb buckets (nb is a power of two). */
export function chunkSizeFor(nb: number): number {
  return nb <= 64 ? nb : Math.max(64, nb / MAX_TABLE_CHUNKS);
}

/** Words of a table segment: its header and its buckets (elements live in chunk segments). */
export function tableWords(nBuckets: number): number {
  return T_BUCKETS + nBuckets * BUCKET_WORDS;
}

export const MIN_BUCKETS = 4;
