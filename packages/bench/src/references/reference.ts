/** The references every rightsize figure is quoted against, measured in the same run. */
export const REFERENCE_KINDS = ['unsync', 'Map', 'sharedmap', 'typed_array'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

/** What a reference is told at creation. */
export interface ReferenceSpec {
  /** Entries it must hold (the bound: an insert past it is -E2BIG, as a full BPF hash). */
  maxEntries: number;
  /** Value bytes (4 and 50 in the suites). */
  valueSize: number;
  /** Keys the loop may use are 0..keySpace-1 (sharedmap's string keys are made up front for them). */
  keySpace: number;
}

/**
 * A reference as the benchmark loop drives it: the same two operations as a
 * BPF program's helpers on a u32 key. Each reference keeps its own value and
 * lookup buffer in its natural form, so that the loop costs only the lookup
 * and the update. Results are kernel style: 0 or a negative errno.
 */
export interface Reference {
  readonly kind: ReferenceKind;
  /** Finds the key and takes its value: 0 or -ENOENT. */
  lookup(key: number): number;
  /** Writes the reference's value under the key (BPF_ANY): 0 or -E2BIG when full and the key is new. */
  update(key: number): number;
  /** Entries held. */
  readonly size: number;
}

export function isReferenceKind(v: unknown): v is ReferenceKind {
  return typeof v === 'string' && (REFERENCE_KINDS as readonly string[]).includes(v);
}

/** A value's bytes, the same for every reference: byte i is (i * 7 + 1) & 0xff, never 0. */
export function valueByte(i: number): number {
  return (i * 7 + 1) & 0xff || 1;
}
