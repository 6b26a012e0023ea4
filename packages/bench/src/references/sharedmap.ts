import { createRequire } from 'node:module';
import { Errno } from '@rightsize/engine';
import { valueByte, type Reference, type ReferenceSpec } from './reference.js';

/** The part of sharedmap's API the reference uses. */
interface SharedMapLike {
  readonly length: number;
  set(key: string, value: string): void;
  get(key: string): string | undefined;
  has(key: string): boolean;
}
type SharedMapCtor = new (maxSize: number, keySize: number, objSize: number) => SharedMapLike;

// sharedmap is a CommonJS module whose export is the class itself; its
// bundled typings declare a named export instead, so it is loaded with
// require and typed here.
const SharedMap = createRequire(import.meta.url)('sharedmap') as SharedMapCtor;

/** sharedmap keeps up to this share of its slots used (its coalesced chaining degrades past ~95%). */
const FILL = 0.8;
/** Char codes are offset so that none is 0: sharedmap ends keys and values at the first 0 unit. */
const NONZERO = 0x100;

/**
 * `sharedmap` (npm), the existing SharedArrayBuffer map for Node, used as its
 * README shows: string keys and string values. A 4-byte key is 4 UTF-16
 * units, one per byte (its hash reads the low byte of each unit), made once
 * for every key the loop may use, so the loop pays for the map and not for
 * building strings. A lookup returns a new string (that is how it works).
 */
export class SharedMapReference implements Reference {
  readonly kind = 'sharedmap' as const;
  private readonly map: SharedMapLike;
  private readonly keyStrings: string[];
  private readonly valueString: string;
  private readonly maxEntries: number;
  /** The last value looked up: kept so the lookup is not optimised away. */
  last: string = '';

  constructor(spec: ReferenceSpec) {
    this.maxEntries = spec.maxEntries;
    // keySize and objSize are in UTF-16 units and need room for the ending 0.
    this.map = new SharedMap(Math.ceil(spec.maxEntries / FILL), 5, spec.valueSize + 1);
    this.keyStrings = new Array<string>(spec.keySpace);
    for (let k = 0; k < spec.keySpace; k++) this.keyStrings[k] = keyString(k);
    let v = '';
    for (let i = 0; i < spec.valueSize; i++) v += String.fromCharCode(NONZERO | valueByte(i));
    this.valueString = v;
  }

  get size(): number {
    return this.map.length;
  }

  lookup(key: number): number {
    const v = this.map.get(this.keyStrings[key]!);
    if (v === undefined) return -Errno.ENOENT;
    this.last = v;
    return 0;
  }

  update(key: number): number {
    const k = this.keyStrings[key]!;
    if (this.map.length >= this.maxEntries && !this.map.has(k)) return -Errno.E2BIG;
    this.map.set(k, this.valueString);
    return 0;
  }
}

/** A u32 key as 4 nonzero UTF-16 units, little-endian byte order. */
export function keyString(k: number): string {
  return String.fromCharCode(NONZERO | (k & 0xff), NONZERO | ((k >>> 8) & 0xff), NONZERO | ((k >>> 16) & 0xff), NONZERO | (k >>> 24));
}
