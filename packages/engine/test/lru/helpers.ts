import { enterCpu, exitCpu } from '../../src/context.js';
import type { BpfMap } from '../../src/maps/map.js';

/** A 4-byte little-endian key or value. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

export function readU32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

/** Runs `fn` as a BPF program on CPU `cpu` (the thread is userspace again afterwards). */
export function onCpu<T>(cpu: number, fn: () => T): T {
  enterCpu(cpu);
  try {
    return fn();
  } finally {
    exitCpu();
  }
}

/** The keys present, as sorted numbers (userspace lookups: no reference bits set). */
export function presentKeys(map: BpfMap, candidates: Iterable<number>): number[] {
  const out = new Uint8Array(map.spec.valueSize * 128);
  const present: number[] = [];
  for (const k of candidates) if (map.lookupU32Into(k, out) === 0) present.push(k);
  return present.sort((a, b) => a - b);
}

/** Every key the map iterates over, as sorted numbers. */
export function iteratedKeys(map: BpfMap): number[] {
  return [...map.keys()].map((k) => readU32(k)).sort((a, b) => a - b);
}
