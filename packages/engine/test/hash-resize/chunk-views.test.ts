import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ElementStore } from '../../src/maps/chained/allocator.js';
import { compactLayout } from '../../src/maps/hash-resize/layout.js';

// A thread's chunk views (ElementStore.i32/u8) are what every lookup reads
// per element: they must stay a fast (dense) array however high the first
// chunk a thread meets is (a map whose bound was raised far has many).
setFlagsFromString('--allow-natives-syntax');
const isDictionary = new Function('a', 'return %HasDictionaryElements(a)') as (a: unknown[]) => boolean;

describe('chunk views', () => {
  it('stay fast elements when a thread first meets a high chunk', () => {
    const layout = compactLayout(4, 4);
    const chunk = 16;
    const store = new ElementStore(layout, chunk, { chunk: () => ({ sab: new SharedArrayBuffer(chunk * layout.stride * 4), byteOffset: 0, elements: chunk }) }, 1 << 20);
    // The probe itself: an array written 5000 past its end is a dictionary.
    const sparse: unknown[] = [];
    sparse[5000] = 1;
    expect(isDictionary(sparse)).toBe(true);
    store.load(5000);
    store.load(20_000);
    expect(store.words(5000 * chunk + 3)).toBe(store.i32[5000]);
    expect(isDictionary(store.i32)).toBe(false);
    expect(isDictionary(store.u8)).toBe(false);
  });
});
