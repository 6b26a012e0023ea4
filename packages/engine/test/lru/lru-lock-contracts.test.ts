import { describe, expect, it } from 'vitest';
import { setLockChecks, type KeyScratch } from '../../src/maps/chained/table.js';
import { L_OLD } from '../../src/maps/lru/lru-lists.js';
import type { LruHashMap } from '../../src/maps/lru/lru-hash-map.js';
import type { RecoveryLog } from '../../src/recovery/log.js';
import { withAllBuckets } from '../../src/maps/chained/repair.js';
import { keyOf, valueOf } from '../support/bytes.js';
import { expectRepairContract } from '../support/lock-contracts.js';
import { useMaps } from '../support/maps.js';

// The LRU's `...Locked` methods rely on a list lock (the list walks and
// relinks), a bucket lock (a value rewritten in place) or the repair lock.
// With lock checks on, each asserts that the calling thread holds it.

setLockChecks(true);

/** The private list methods a broken caller would reach. */
interface ListInternals {
  ctl: Int32Array;
  drainLocked(at: number): void;
  evictLocked(at: number, owner: number): number;
  addYoungLocked(at: number, e: number): void;
  removeLocked(at: number, e: number): void;
}

/** The private map methods a broken caller would reach. */
interface MapInternals {
  ks: KeyScratch;
  log: RecoveryLog;
  hashBytes(key: Uint8Array): number;
  replaceLocked(b: number, e: number, value: Uint8Array, flags: number, at: number, len: number, rec: unknown): number;
}

describe('lock contracts of lru_hash (checks on)', () => {
  const make = useMaps();
  const map = () => {
    const m = make({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 16 }) as LruHashMap;
    for (let k = 0; k < 10; k++) expect(m.update(keyOf(k), valueOf(k, 8))).toBe(0);
    return m;
  };
  const expectUnchanged = (m: LruHashMap) => {
    expect(m.stats()).toMatchObject({ entries: 10, evictions: 0 });
    for (let k = 0; k < 10; k++) expect(m.lookup(keyOf(k))).toEqual(valueOf(k, 8));
  };

  it('the list walks and relinks need the list lock, and change nothing without it', () => {
    const m = map();
    const lru = m.lru as unknown as ListInternals;
    const owner = m.domain.ownerId();
    const oldest = lru.ctl[L_OLD]!;
    expect(() => lru.removeLocked(0, oldest)).toThrow(/lock contract broken: LRU list 0 lock/);
    expect(() => lru.addYoungLocked(0, oldest)).toThrow(/lock contract broken: LRU list 0 lock/);
    expect(() => lru.drainLocked(0)).toThrow(/lock contract broken: LRU list 0 lock/);
    expect(() => lru.evictLocked(0, owner)).toThrow(/lock contract broken: LRU list 0 lock/);
    expect(() => m.lru.rebuildLocked([0])).toThrow(/lock contract broken: LRU list 0 lock/);
    expectUnchanged(m);
  });

  it('the rebuild of a list needs every bucket lock as well as the list lock', () => {
    const m = map();
    const owner = m.domain.ownerId();
    m.lru.lockList(0, owner);
    try {
      expect(() => m.lru.rebuildLocked([0])).toThrow(/lock contract broken: bucket 0 lock/);
      expect(withAllBuckets(m.table, owner, () => m.lru.rebuildLocked([0]))).toBe(0);
    } finally {
      m.lru.unlockList(0);
    }
    expectUnchanged(m);
  });

  it("a value rewritten in place needs its bucket's lock", () => {
    const m = map();
    const x = m as unknown as MapInternals;
    const h = x.hashBytes(keyOf(3));
    const e = m.table.findElement(h, x.ks.words);
    expect(e).toBeGreaterThanOrEqual(0);
    const b = h & m.table.mask;
    const rec = x.log.prepare(m.domain.ownerId());
    expect(() => x.replaceLocked(b, e, valueOf(99, 8), 0, 0, 8, rec)).toThrow(new RegExp(`lock contract broken: bucket ${b} lock`));
    expectUnchanged(m);
  });

  it('the repair needs the repair lock', () => {
    const m = map();
    expectRepairContract(m);
    expectUnchanged(m);
  });
});
