/** A key given as bytes, or as a number meaning a u32 key (4 little-endian bytes, as the engine's U32 path). */
export type KeyInput = Uint8Array | number;

export function keyBytes(key: KeyInput): Uint8Array {
  if (key instanceof Uint8Array) return key;
  if (typeof key === 'number' && Number.isInteger(key) && key >= 0 && key <= 0xffffffff) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, key, true);
    return b;
  }
  throw new TypeError(`a key must be a Uint8Array or a u32 number, got ${typeof key === 'number' ? key : typeof key}`);
}
