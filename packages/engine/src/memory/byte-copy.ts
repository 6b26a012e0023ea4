/**
 * Byte copy without allocation for small lengths (a subarray would allocate
 * an object per call on the hot path); large values use the native copy.
 */
export function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (len <= 64) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
  }
}
