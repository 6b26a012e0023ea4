import { isArrayType, isPercpuType, type MapFlags, type NormalizedSpec } from '../../spec/map-spec.js';

/**
 * Whether an inner map fits the outer map's template, as the kernel's
 * bpf_map_meta_equal requires: same type, key size, value size and flags,
 * and for arrays the same maxEntries (a program's bounds checks were made
 * against it). We also require what a program's code depends on here: the
 * CPU count of per-CPU types and the sub-array size of array_resize.
 * Hash maps may differ in maxEntries, as in the kernel.
 */
export function innerMatches(template: NormalizedSpec, s: NormalizedSpec): boolean {
  if (s.type !== template.type || s.keySize !== template.keySize || s.valueSize !== template.valueSize) return false;
  for (const f of Object.keys(template.flags) as (keyof MapFlags)[]) if (s.flags[f] !== template.flags[f]) return false;
  if (isArrayType(s.type) && s.maxEntries !== template.maxEntries) return false;
  if (isPercpuType(s.type) && s.nCpus !== template.nCpus) return false;
  if (s.type === 'array_resize' && s.arrayResize.subArraySize !== template.arrayResize.subArraySize) return false;
  return true;
}
