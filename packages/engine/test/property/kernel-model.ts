import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from '../../src/errno.js';
import { hex, u32Of } from '../support/bytes.js';

/**
 * The reference the property tests compare a map against: a JS Map from key
 * (hex) to value, with the kernel's result codes written out independently of
 * the engine (htab_map_update_elem / array_map_update_elem and friends).
 */
export interface KernelModel {
  update(key: Uint8Array, value: Uint8Array, flags: number): number;
  delete(key: Uint8Array): number;
  lookup(key: Uint8Array): Uint8Array | undefined;
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined;
  /** Every key present, as hex. */
  keys(): Set<string>;
  size(): number;
}

function flagsOk(flags: number): boolean {
  // Written out rather than calling the engine's check: (flags & ~BPF_F_LOCK) must be ANY, NOEXIST or EXIST.
  return [0, 1, 2].includes(flags & ~BPF_F_LOCK) && Number.isInteger(flags) && flags >= 0 && flags <= 7;
}

export class HashModel implements KernelModel {
  private readonly m = new Map<string, Uint8Array>();
  constructor(private readonly maxEntries: number) {}

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!flagsOk(flags)) return -Errno.EINVAL;
    const k = hex(key);
    const mode = flags & ~BPF_F_LOCK;
    const exists = this.m.has(k);
    if (exists && mode === BPF_NOEXIST) return -Errno.EEXIST;
    if (!exists && mode === BPF_EXIST) return -Errno.ENOENT;
    if (!exists && this.m.size >= this.maxEntries) return -Errno.E2BIG;
    this.m.set(k, value.slice());
    return 0;
  }

  delete(key: Uint8Array): number {
    return this.m.delete(hex(key)) ? 0 : -Errno.ENOENT;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    return this.m.get(hex(key))?.slice();
  }

  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    const v = this.lookup(key);
    this.m.delete(hex(key));
    return v;
  }

  keys(): Set<string> {
    return new Set(this.m.keys());
  }

  size(): number {
    return this.m.size;
  }
}

export class ArrayModel implements KernelModel {
  private readonly m = new Map<string, Uint8Array>();
  constructor(
    private readonly maxEntries: number,
    private readonly valueSize: number,
  ) {}

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!flagsOk(flags)) return -Errno.EINVAL;
    if (u32Of(key) >= this.maxEntries) return -Errno.E2BIG;
    if ((flags & BPF_NOEXIST) !== 0) return -Errno.EEXIST;
    this.m.set(hex(key), value.slice());
    return 0;
  }

  delete(): number {
    return -Errno.EINVAL;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    if (u32Of(key) >= this.maxEntries) return undefined;
    return this.m.get(hex(key))?.slice() ?? new Uint8Array(this.valueSize);
  }

  lookupAndDelete(): Uint8Array | undefined {
    return undefined;
  }

  keys(): Set<string> {
    const out = new Set<string>();
    const k = new Uint8Array(4);
    for (let i = 0; i < this.maxEntries; i++) {
      new DataView(k.buffer).setUint32(0, i, true);
      out.add(hex(k));
    }
    return out;
  }

  size(): number {
    return this.maxEntries;
  }
}
