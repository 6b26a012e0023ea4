import { BPF_ANY } from '@rightsize/engine';
import { valueByte, type Reference, type ReferenceSpec } from './reference.js';
import { UnsyncTable } from './unsync-table.js';

/** The unsynchronised Int32Array table as a benchmark reference: a lookup copies the value out, as lookupInto does. */
export class UnsyncReference implements Reference {
  readonly kind = 'unsync' as const;
  private readonly table: UnsyncTable;
  private readonly value: Int32Array;
  private readonly out: Int32Array;

  constructor(spec: ReferenceSpec) {
    this.table = new UnsyncTable(spec.maxEntries, spec.valueSize);
    const bytes = new Uint8Array(this.table.valueWords * 4);
    for (let i = 0; i < spec.valueSize; i++) bytes[i] = valueByte(i);
    this.value = new Int32Array(bytes.buffer);
    this.out = new Int32Array(this.table.valueWords);
  }

  get size(): number {
    return this.table.size;
  }

  lookup(key: number): number {
    return this.table.lookupInto(key, this.out);
  }

  update(key: number): number {
    return this.table.update(key, this.value, BPF_ANY);
  }
}
