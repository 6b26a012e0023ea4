import { Errno } from '@rightsize/engine';
import { valueByte, type Reference, type ReferenceSpec } from './reference.js';

/**
 * The limit for arrays: a plain Int32Array indexed by the key, values as
 * whole words copied in and out, no synchronisation (the arrays suite's
 * counterpart of the unsync hash table). Keys past the bound are -E2BIG on
 * update and -ENOENT on lookup, as BPF_MAP_TYPE_ARRAY.
 */
export class TypedArrayReference implements Reference {
  readonly kind = 'typed_array' as const;
  private readonly words: number;
  private readonly maxEntries: number;
  private readonly data: Int32Array;
  private readonly value: Int32Array;
  private readonly out: Int32Array;

  constructor(spec: ReferenceSpec) {
    this.maxEntries = spec.maxEntries;
    this.words = (spec.valueSize + 3) >>> 2;
    this.data = new Int32Array(spec.maxEntries * this.words);
    const bytes = new Uint8Array(this.words * 4);
    for (let i = 0; i < spec.valueSize; i++) bytes[i] = valueByte(i);
    this.value = new Int32Array(bytes.buffer);
    this.out = new Int32Array(this.words);
  }

  /** An array holds every index from the start. */
  get size(): number {
    return this.maxEntries;
  }

  lookup(key: number): number {
    if (key >= this.maxEntries) return -Errno.ENOENT;
    const w = this.words;
    const base = key * w;
    for (let j = 0; j < w; j++) this.out[j] = this.data[base + j]!;
    return 0;
  }

  update(key: number): number {
    if (key >= this.maxEntries) return -Errno.E2BIG;
    const w = this.words;
    const base = key * w;
    for (let j = 0; j < w; j++) this.data[base + j] = this.value[j]!;
    return 0;
  }
}
