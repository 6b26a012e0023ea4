import { BPF_EXIST, BPF_NOEXIST, Errno } from '../../src/index.js';

/**
 * A reference model of an LRU map (lru_hash, lru_percpu_hash) as specified in
 * src/maps/lru/lru-lists.ts: fixed pools per list, insertion order as LRU
 * order, a program lookup or a replacing update sets the reference bit,
 * eviction walks from the oldest giving referenced entries a second chance,
 * and userspace picks lists round-robin under noCommonLru. Values are kept as
 * each CPU's bytes (one "CPU" for the shared types).
 */
interface Node {
  key: number;
  ref: boolean;
}

export class LruModel {
  readonly lists: { order: Node[]; free: number }[] = [];
  readonly entries = new Map<number, { list: number; node: Node; values: Uint8Array[] }>();
  evictions = 0;
  private cursor = 0;

  constructor(
    maxEntries: number,
    readonly nLists: number,
    /** Per-CPU type: one value per CPU, userspace sees them all (8-byte strided). */
    readonly percpu: boolean,
    readonly nCpus: number,
    readonly valueSize: number,
  ) {
    for (let l = 0; l < nLists; l++) {
      this.lists.push({ order: [], free: Math.floor(maxEntries / nLists) + (l < maxEntries % nLists ? 1 : 0) });
    }
  }

  /** `value` is what the caller passes: one CPU's value from a program, every slot's (8-byte strided) from userspace. */
  update(key: number, value: Uint8Array, flags: number, cpu: number): number {
    if (!Number.isInteger(flags) || flags < 0 || flags > BPF_EXIST) return -Errno.EINVAL;
    const cur = this.entries.get(key);
    if (cur) {
      if (flags === BPF_NOEXIST) return -Errno.EEXIST;
      this.write(cur.values, value, cpu);
      cur.node.ref = true;
      return 0;
    }
    if (flags === BPF_EXIST) return -Errno.ENOENT;
    const list = this.pop(cpu);
    const node = { key, ref: false };
    this.lists[list]!.order.push(node);
    const values = Array.from({ length: this.percpu ? this.nCpus : 1 }, () => new Uint8Array(this.valueSize));
    this.write(values, value, cpu);
    this.entries.set(key, { list, node, values });
    return 0;
  }

  /** The caller's view of the value (see update), or undefined; a program's lookup sets the bit. */
  lookup(key: number, cpu: number): Uint8Array | undefined {
    const cur = this.entries.get(key);
    if (!cur) return undefined;
    if (cpu >= 0) cur.node.ref = true;
    return this.read(cur.values, cpu);
  }

  delete(key: number): number {
    const cur = this.entries.get(key);
    if (!cur) return -Errno.ENOENT;
    const l = this.lists[cur.list]!;
    l.order.splice(l.order.indexOf(cur.node), 1);
    l.free++;
    this.entries.delete(key);
    return 0;
  }

  keys(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  private pop(cpu: number): number {
    let list: number;
    if (this.nLists === 1) list = 0;
    else if (cpu >= 0) list = cpu;
    else {
      for (let i = 0; i < this.nLists; i++) {
        const l = (this.cursor + i) % this.nLists;
        if (this.lists[l]!.free > 0) {
          this.lists[l]!.free--;
          return l;
        }
      }
      list = this.cursor;
      this.cursor = (this.cursor + 1) % this.nLists;
    }
    const l = this.lists[list]!;
    if (l.free > 0) l.free--;
    else this.evict(list);
    return list;
  }

  private evict(list: number): void {
    const order = this.lists[list]!.order;
    for (;;) {
      const oldest = order.shift()!;
      if (oldest.ref) {
        oldest.ref = false;
        order.push(oldest);
        continue;
      }
      this.entries.delete(oldest.key);
      this.evictions++;
      return;
    }
  }

  private write(values: Uint8Array[], value: Uint8Array, cpu: number): void {
    if (!this.percpu) values[0]!.set(value);
    else if (cpu >= 0) values[cpu]!.set(value);
    else {
      const stride = (this.valueSize + 7) & ~7;
      for (let c = 0; c < this.nCpus; c++) values[c]!.set(value.subarray(c * stride, c * stride + this.valueSize));
    }
  }

  private read(values: Uint8Array[], cpu: number): Uint8Array {
    if (!this.percpu) return values[0]!.slice();
    if (cpu >= 0) return values[cpu]!.slice();
    const stride = (this.valueSize + 7) & ~7;
    const out = new Uint8Array(this.nCpus * stride);
    for (let c = 0; c < this.nCpus; c++) out.set(values[c]!, c * stride);
    return out;
  }
}
