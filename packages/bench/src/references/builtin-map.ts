import { Errno } from '@rightsize/engine';
import { valueByte, type Reference, type ReferenceSpec } from './reference.js';

/**
 * The built-in Map as a JavaScript program would use it for this data: a
 * 4-byte value is a number, a longer one a Uint8Array per entry. A lookup
 * takes the value without copying it (a Map hands out a reference; that is
 * its advantage and it is kept), an update of a present key copies the new
 * bytes into the entry's array (for numbers, set() replaces). The bound is
 * checked only when the key is new, as a full BPF hash does.
 */
export class MapReference implements Reference {
  readonly kind = 'Map' as const;
  private readonly numbers: Map<number, number> | null;
  private readonly arrays: Map<number, Uint8Array> | null;
  private readonly maxEntries: number;
  private readonly numberValue: number;
  private readonly bytesValue: Uint8Array;
  /** The last value looked up: kept so the lookup is not optimised away. */
  last: number | Uint8Array = 0;

  constructor(spec: ReferenceSpec) {
    this.maxEntries = spec.maxEntries;
    this.bytesValue = new Uint8Array(spec.valueSize);
    for (let i = 0; i < spec.valueSize; i++) this.bytesValue[i] = valueByte(i);
    this.numberValue = spec.valueSize === 4 ? new DataView(this.bytesValue.buffer).getUint32(0, true) : 0;
    this.numbers = spec.valueSize === 4 ? new Map() : null;
    this.arrays = spec.valueSize === 4 ? null : new Map();
  }

  get size(): number {
    return (this.numbers ?? this.arrays)!.size;
  }

  lookup(key: number): number {
    if (this.numbers !== null) {
      const v = this.numbers.get(key);
      if (v === undefined) return -Errno.ENOENT;
      this.last = v;
      return 0;
    }
    const a = this.arrays!.get(key);
    if (a === undefined) return -Errno.ENOENT;
    this.last = a;
    return 0;
  }

  update(key: number): number {
    if (this.numbers !== null) {
      const m = this.numbers;
      if (m.size >= this.maxEntries && !m.has(key)) return -Errno.E2BIG;
      m.set(key, this.numberValue);
      return 0;
    }
    const m = this.arrays!;
    const cur = m.get(key);
    if (cur !== undefined) {
      cur.set(this.bytesValue);
      return 0;
    }
    if (m.size >= this.maxEntries) return -Errno.E2BIG;
    m.set(key, this.bytesValue.slice());
    return 0;
  }
}
