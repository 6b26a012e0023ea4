import { afterEach, describe, expect, it } from 'vitest';
import { enterCpu, exitCpu } from '../../src/context.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { CACHE_SLOTS } from '../../src/maps/hash-resize/layout.js';
import { setLockChecks } from '../../src/maps/chained/table.js';
import { verify } from '../../src/verify/index.js';
import { keyOf, u32Of } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

setLockChecks(true);

// A CPU running a program keeps a few free elements in a cache of its own
// (ElementPool): inserts and deletes then mostly take no pool lock. These
// tests play CPU 0 in this thread and check that the pool stays exact,
// that a repair leaves a live CPU's cache alone, and that memory still
// follows the entries down.

describe('the per-CPU element caches of hash_resize', () => {
  const make = useMaps();
  const open = (maxEntries = 4096): HashResizeMap =>
    make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries, nCpus: 2, resize: { driver: 'inline' } }) as HashResizeMap;
  afterEach(() => exitCpu());

  it("a CPU's inserts and deletes go through its cache; verify accounts for every element", () => {
    const m = open();
    enterCpu(0);
    for (let k = 0; k < 200; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    for (let k = 0; k < 60; k++) expect(m.delete(keyOf(k))).toBe(0);
    const cached = m.pool.cachedElements();
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.length).toBeLessThanOrEqual(CACHE_SLOTS);
    expect(m.stats().entries).toBe(140);
    expect(verify(m).problems).toEqual([]);
    // Inserts take the cached elements again: none is handed out twice.
    for (let k = 1000; k < 1100; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    expect(verify(m).problems).toEqual([]);
    for (let k = 60; k < 200; k++) expect(u32Of(m.lookup(keyOf(k))!)).toBe(k);
    for (let k = 1000; k < 1100; k++) expect(u32Of(m.lookup(keyOf(k))!)).toBe(k);
  });

  it("a repair after another CPU's death keeps a live CPU's cached elements out of the free lists", () => {
    const m = open();
    enterCpu(0);
    for (let k = 0; k < 100; k++) m.update(keyOf(k), keyOf(k));
    for (let k = 0; k < 10; k++) m.delete(keyOf(k));
    const before = m.pool.cachedElements();
    expect(before.length).toBeGreaterThan(0);
    exitCpu();
    // CPU 1 never ran here; marking it dead makes the next operation repair the map.
    m.domain.markDead(1);
    expect(m.repair().ran).toBe(true);
    expect(m.pool.cachedElements()).toEqual(before);
    expect(verify(m).problems).toEqual([]);
    enterCpu(0);
    for (let k = 500; k < 600; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    expect(verify(m).problems).toEqual([]);
    expect(m.stats().entries).toBe(190);
  });

  it("userspace deletes go into the shared cache, a CPU takes from it before the pool, and a repair keeps it", () => {
    const m = open();
    // Userspace (no CPU id): the collector's and an agent's deletes.
    for (let k = 0; k < 200; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    for (let k = 0; k < 10; k++) expect(m.delete(keyOf(k))).toBe(0);
    const shared = m.pool.cachedElements();
    expect(shared.length).toBe(10);
    expect(verify(m).problems).toEqual([]);
    // A CPU with an empty cache takes from the shared one: no element is handed out twice.
    enterCpu(0);
    for (let k = 1000; k < 1004; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    exitCpu();
    expect(m.pool.cachedElements().length).toBe(6);
    expect(verify(m).problems).toEqual([]);
    // A CPU id no thread uses here (the test above marked CPU 1 dead already).
    m.domain.markDead(5);
    const before = m.pool.cachedElements();
    expect(m.repair().ran).toBe(true);
    expect(m.pool.cachedElements()).toEqual(before);
    for (let k = 2000; k < 2100; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    expect(verify(m).problems).toEqual([]);
    for (let k = 10; k < 200; k++) expect(u32Of(m.lookup(keyOf(k))!)).toBe(k);
    for (let k = 1000; k < 1004; k++) expect(u32Of(m.lookup(keyOf(k))!)).toBe(k);
    expect(m.stats().entries).toBe(190 + 4 + 100);
  });

  it('memory follows the entries down: deletes into an under-filled pool give the cache back and chunks go', () => {
    const m = open(1 << 15);
    const fresh = m.stats().bytes;
    enterCpu(0);
    for (let k = 0; k < 20_000; k++) expect(m.update(keyOf(k), keyOf(k))).toBe(0);
    const full = m.stats().bytes;
    for (let k = 0; k < 20_000; k++) expect(m.delete(keyOf(k))).toBe(0);
    exitCpu();
    expect(m.pool.cachedElements().length).toBeLessThanOrEqual(CACHE_SLOTS);
    for (let i = 0; i < 50 && m.stats().bytes > 2 * fresh; i++) {
      m.reclaim();
      m.maintain();
      m.shrink();
      m.resizeStep(1 << 20);
    }
    expect(m.stats().bytes).toBeLessThan(full / 4);
    expect(m.stats().bytes).toBeLessThanOrEqual(2 * fresh);
    expect(verify(m).problems).toEqual([]);
  });
});
