import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { ENTRIES, EPOCH, FUT } from '../../src/maps/hash-resize/layout.js';
import { verify } from '../../src/verify/index.js';
import { u32 } from '../lru/helpers.js';
import { useMaps } from '../support/maps.js';

// verify() on hash_resize: idle and mid-resize tables, the table state words.

describe('verify: hash_resize', () => {
  const make = useMaps();

  function map(): HashResizeMap {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 8, maxEntries: 1024, resize: { driver: 'help', migrateBatch: 4, initialBuckets: 32, autoResize: false } }) as HashResizeMap;
    for (let k = 0; k < 20; k++) expect(m.updateU32(k, new Uint8Array(8).fill(k))).toBe(0);
    return m;
  }

  it('an idle map passes', () => {
    const r = verify(map());
    expect(r.problems).toEqual([]);
    expect(r.checked).toMatchObject({ tables: 1, elements: 20 });
  });

  it('a map in the middle of a grow passes: MOVED buckets in CUR, their entries in FUT', () => {
    const m = map();
    expect(m.grow()).toBe(0);
    expect(m.resizeStep(2)).toBe(2);
    expect(m.stats().state).toBe('resizing');
    const r = verify(m);
    expect(r.problems).toEqual([]);
    expect(r.checked.tables).toBe(2);
    expect(r.checked.elements).toBe(20);
  });

  it('a MOVED bucket with no resize under way, an odd EPOCH and a wrong ENTRIES are reported', () => {
    const m = map();
    expect(m.grow()).toBe(0);
    expect(m.resizeStep(1)).toBe(1);
    // Pretend the resize is over without switching tables.
    Atomics.store(m.header.words, FUT, 0);
    Atomics.add(m.header.words, EPOCH, 1);
    Atomics.add(m.header.words, ENTRIES, 5);
    const text = verify(m).problems.join('\n');
    expect(text).toMatch(/MOVED bucket\(s\) in CUR with no resize under way/);
    expect(text).toMatch(/EPOCH \d+ is odd/);
    expect(text).toMatch(/ENTRIES counter 25/);
  });

  it('stats().bytes off what the map holds is reported, in the middle of a grow as when idle', () => {
    const m = map();
    expect(m.grow()).toBe(0);
    expect(m.resizeStep(1)).toBe(1);
    expect(verify(m).problems).toEqual([]);
    const held = m.bytesHeldWith(m.cur, m.fut);
    m.header.addBytes(-m.cur.bytes);
    expect(verify(m).problems.join('\n')).toContain(`stats().bytes says ${held - m.cur.bytes}, the map holds ${held}`);
    m.header.addBytes(m.cur.bytes);
    expect(m.resizeStep(100)).toBe(6);
    expect(m.stats().state).toBe('idle');
    expect(verify(m).problems).toEqual([]);
    m.header.addBytes(4096);
    expect(verify(m).problems.join('\n')).toContain(`stats().bytes says ${m.bytesHeldWith(m.cur, m.fut) + 4096}, the map holds`);
  });

  it('-E2BIG at maxEntries leaves a map that passes', () => {
    const m = make({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 10, resize: { driver: 'inline' } });
    for (let k = 0; k < 10; k++) expect(m.updateU32(k, u32(k))).toBe(0);
    expect(m.updateU32(10, u32(10))).toBe(-Errno.E2BIG);
    expect(verify(m).problems).toEqual([]);
  });
});
