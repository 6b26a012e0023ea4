import type { MapSpec } from '@rightsize/engine';

/** Keys the random operations use (per map: 0 .. KEYSPACE-1). */
export const KEYSPACE = 4096;

/** How the soak uses one map. */
export interface SoakMap {
  name: string;
  spec: MapSpec;
  /** Whether the map keeps a ledger (committed writes are checked after deaths): never for maps that drop entries by themselves. */
  ledger: boolean;
  /** Whether CPUs call grow()/shrink() on it now and then. */
  resizes: boolean;
}

/**
 * Every map type, under load together. The hash_resize maps cover the three
 * drivers and EBUSY policies; their key range swings (see worker.ts) so that
 * the watermarks keep growing and shrinking them. maxEntries leaves room for
 * the ledger keys of up to `cpus` CPUs.
 */
export function soakMaps(cpus: number): SoakMap[] {
  const ledgerRoom = cpus * 16;
  const hashMax = KEYSPACE + ledgerRoom;
  const resize = (driver: 'inline' | 'help' | 'deferred', ebusyPolicy: 'fail' | 'retry' | 'help'): MapSpec => ({
    type: 'hash_resize',
    keySize: 4,
    valueSize: 32,
    maxEntries: hashMax,
    resize: { driver, ebusyPolicy, migrateBatch: 16 },
  });
  return [
    { name: 'hash', spec: { type: 'hash', keySize: 4, valueSize: 32, maxEntries: hashMax }, ledger: true, resizes: false },
    { name: 'hash_noprealloc', spec: { type: 'hash', keySize: 8, valueSize: 64, maxEntries: hashMax, flags: { noPrealloc: true } }, ledger: false, resizes: false },
    { name: 'percpu_hash', spec: { type: 'percpu_hash', keySize: 4, valueSize: 16, maxEntries: hashMax, nCpus: cpus }, ledger: false, resizes: false },
    { name: 'lru_hash', spec: { type: 'lru_hash', keySize: 4, valueSize: 32, maxEntries: KEYSPACE / 4 }, ledger: false, resizes: false },
    { name: 'lru_percpu_hash', spec: { type: 'lru_percpu_hash', keySize: 4, valueSize: 16, maxEntries: KEYSPACE / 4, nCpus: cpus, flags: { noCommonLru: true } }, ledger: false, resizes: false },
    { name: 'array', spec: { type: 'array', keySize: 4, valueSize: 48, maxEntries: KEYSPACE + ledgerRoom }, ledger: true, resizes: false },
    { name: 'percpu_array', spec: { type: 'percpu_array', keySize: 4, valueSize: 16, maxEntries: KEYSPACE, nCpus: cpus }, ledger: false, resizes: false },
    { name: 'array_resize', spec: { type: 'array_resize', keySize: 4, valueSize: 16, maxEntries: KEYSPACE, arrayResize: { subArraySize: 256, initialEntries: 1024 } }, ledger: false, resizes: true },
    { name: 'hash_resize_inline', spec: resize('inline', 'fail'), ledger: true, resizes: true },
    { name: 'hash_resize_help', spec: resize('help', 'help'), ledger: true, resizes: true },
    { name: 'hash_resize_deferred', spec: resize('deferred', 'retry'), ledger: true, resizes: true },
    {
      name: 'array_of_maps',
      spec: { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 'hash', keySize: 4, valueSize: 16, maxEntries: 256 } },
      ledger: false,
      resizes: false,
    },
  ];
}
