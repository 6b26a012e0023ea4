import { LINE_WORDS } from '../memory/segments.js';

/**
 * The map header: one small SharedArrayBuffer every map has, laid out in
 * cache lines so that words written by different CPUs do not share one.
 *
 *   line 0: [0] magic, [1] destroyed, [2] seed
 *   lines 1..3: element allocator control (hash types)
 *   line 4: bytes held (BigInt64: tables can pass 2 GiB)
 *   lines 5..: the map type's own words (TYPE_BASE)
 */
export const MAGIC = 0x52535a31; // "RSZ1"
const W_MAGIC = 0;
const W_DESTROYED = 1;
const W_SEED = 2;
export const ALLOC_AT = LINE_WORDS;
const BYTES_LINE = 4;
export const TYPE_BASE = 5 * LINE_WORDS;
export const HEADER_LINES = 40;

export class MapHeader {
  readonly words: Int32Array;
  private readonly bytes64: BigInt64Array;

  constructor(readonly sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== HEADER_LINES * LINE_WORDS * 4) {
      throw new TypeError('rightsize: not a map header (was this handle made by createMap?)');
    }
    this.words = new Int32Array(sab);
    this.bytes64 = new BigInt64Array(sab, BYTES_LINE * LINE_WORDS * 4, 1);
    if (Atomics.load(this.words, W_MAGIC) !== MAGIC) throw new TypeError('rightsize: map header has no magic (corrupt handle)');
  }

  static create(seed: number): MapHeader {
    const sab = new SharedArrayBuffer(HEADER_LINES * LINE_WORDS * 4);
    const w = new Int32Array(sab);
    w[W_MAGIC] = MAGIC;
    w[W_SEED] = seed | 0;
    return new MapHeader(sab);
  }

  get seed(): number {
    return this.words[W_SEED]! >>> 0;
  }

  /** Accounts memory the map took (positive) or handed back (negative). */
  addBytes(n: number): void {
    Atomics.add(this.bytes64, 0, BigInt(n));
  }

  heldBytes(): number {
    return Number(Atomics.load(this.bytes64, 0));
  }

  get destroyed(): boolean {
    return Atomics.load(this.words, W_DESTROYED) !== 0;
  }

  markDestroyed(): void {
    Atomics.store(this.words, W_DESTROYED, 1);
  }
}
