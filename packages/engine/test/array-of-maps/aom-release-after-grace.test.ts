import { describe, expect, it } from 'vitest';
import { Errno, QuiescenceDomain, createMap } from '../../src/index.js';
import { onCpu, u32 } from '../lru/helpers.js';
import { INNER, outer } from './helpers.js';

// A swapped-out inner map may still be in a program's hands: it is released
// (its bytes stop counting, it is destroyed) once every CPU that was online
// has passed a quiescent point.
describe('array_of_maps releases swapped-out inner maps after a grace period', () => {
  it('an inner map swapped out while a CPU is online lives until that CPU is quiescent', () => {
    const domain = QuiescenceDomain.create();
    const aom = outer(2, INNER, domain);
    const a = createMap(INNER, { domain });
    const b = createMap(INNER, { domain });
    const own = aom.stats().bytes;
    const innerBytes = a.stats().bytes;
    expect(aom.setInner(0, a)).toBe(0);
    domain.cpuOnline(0);
    const held = onCpu(0, () => aom.lookupMap(0)!);
    expect(aom.setInner(0, b)).toBe(0);
    // The program still uses what it looked up before the swap.
    expect(onCpu(0, () => held.updateU32(1, new Uint8Array(8).fill(7)))).toBe(0);
    expect(aom.stats()).toMatchObject({ bytes: own + 2 * innerBytes, pendingRelease: 1, released: 0 });
    expect(aom.reclaim()).toBe(0);
    domain.cpuQuiescent(0);
    expect(aom.reclaim()).toBe(1);
    expect(aom.stats()).toMatchObject({ bytes: own + innerBytes, pendingRelease: 0, released: 1, innerMaps: 1 });
    expect(() => a.lookup(u32(1))).toThrow(/destroyed/);
    expect(onCpu(0, () => aom.lookupMap(0))!.lookup(u32(1))).toBeDefined();
  });

  it('with no CPU online a swap releases the old inner map at the next change', () => {
    const domain = QuiescenceDomain.create();
    const aom = outer(2, INNER, domain);
    const a = createMap(INNER, { domain });
    expect(aom.setInner(0, a)).toBe(0);
    expect(aom.deleteU32(0)).toBe(0);
    expect(aom.stats().pendingRelease).toBe(1);
    expect(aom.setInner(1, createMap(INNER, { domain }))).toBe(0);
    expect(aom.stats()).toMatchObject({ pendingRelease: 0, released: 1 });
    expect(() => a.stats()).not.toThrow();
    expect(() => a.lookup(u32(0))).toThrow(/destroyed/);
  });

  it('an inner map still installed at another index is not released', () => {
    const domain = QuiescenceDomain.create();
    const aom = outer(2, INNER, domain);
    const a = createMap(INNER, { domain });
    expect(aom.setInner(0, a)).toBe(0);
    expect(aom.setInner(1, a)).toBe(0);
    expect(aom.deleteU32(0)).toBe(0);
    expect(aom.reclaim()).toBe(0);
    expect(aom.stats()).toMatchObject({ pendingRelease: 0, innerMaps: 1 });
    expect(a.lookup(u32(0))).toBeDefined();
  });

  it('an inner map installed again before its grace period ended is not released', () => {
    const domain = QuiescenceDomain.create();
    const aom = outer(2, INNER, domain);
    const a = createMap(INNER, { domain });
    expect(aom.setInner(0, a)).toBe(0);
    domain.cpuOnline(0);
    expect(aom.deleteU32(0)).toBe(0);
    expect(aom.setInner(1, a)).toBe(0);
    domain.cpuQuiescent(0);
    expect(aom.reclaim()).toBe(1);
    expect(a.lookup(u32(0))).toBeDefined();
    expect(onCpu(0, () => aom.lookupMap(1))!.lookup(u32(0))).toBeDefined();
    expect(aom.stats()).toMatchObject({ innerMaps: 1, pendingRelease: 0 });
  });

  it('too many swaps within one grace period: -EBUSY, and nothing changes, until it ends', () => {
    const domain = QuiescenceDomain.create();
    const aom = outer(1, INNER, domain);
    expect(aom.setInner(0, createMap(INNER, { domain }))).toBe(0);
    domain.cpuOnline(0);
    let swaps = 0;
    let r = 0;
    while ((r = aom.setInner(0, createMap(INNER, { domain }))) === 0) swaps++;
    expect(r).toBe(-Errno.EBUSY);
    const id = aom.lookup(u32(0));
    expect(aom.deleteU32(0)).toBe(-Errno.EBUSY);
    expect(aom.lookup(u32(0))).toEqual(id);
    expect(aom.stats().pendingRelease).toBe(swaps);
    domain.cpuQuiescent(0);
    expect(aom.setInner(0, createMap(INNER, { domain }))).toBe(0);
    expect(aom.stats()).toMatchObject({ released: swaps, pendingRelease: 1 });
  });

  it('destroying the outer map destroys its inner maps', () => {
    const aom = outer(2);
    const a = createMap(INNER);
    expect(aom.setInner(0, a)).toBe(0);
    aom.destroy();
    expect(() => a.lookup(u32(0))).toThrow(/destroyed/);
  });
});
