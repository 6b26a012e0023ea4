import { describe, expect, it } from 'vitest';
import { setLockTimeout } from '../../src/locks/bucket-lock.js';
import type { MapSpec } from '../../src/spec/map-spec.js';
import { verify } from '../../src/verify/index.js';
import { key, useRecovery } from './support.js';

// A CPU killed halfway through copying a new value into place (the fixture
// does exactly what the map's write path does, redo record included, and
// stops after half the bytes) must not leave a torn value: the first thread
// that needs the lock (here a lock-free lookup, which falls back to the lock
// when the sequence stays odd) replays the write from the dead CPU's redo
// record. The update is then fully applied, and the map verifies.

describe('a CPU killed halfway through a value write', () => {
  const { map, cpu, run, kill } = useRecovery();
  setLockTimeout(3000);

  const OLD = 0x11;
  const NEW = 0xee;

  const hashSpecs: MapSpec[] = [
    { type: 'hash', keySize: 4, valueSize: 48, maxEntries: 32 },
    { type: 'lru_hash', keySize: 4, valueSize: 48, maxEntries: 32 },
    { type: 'hash_resize', keySize: 4, valueSize: 48, maxEntries: 32, resize: { driver: 'inline' } },
  ];

  for (const spec of hashSpecs) {
    it(`${spec.type}: a lookup after the death sees the whole new value, never a mix`, async () => {
      const m = map(spec);
      for (let k = 0; k < 10; k++) expect(m.update(key(k), new Uint8Array(48).fill(OLD))).toBe(0);
      const doomed = cpu(m);
      await run(doomed, { op: 'half-write', key: 4, fill: NEW });
      await kill(doomed, m);
      expect(m.lookup(key(4))).toEqual(new Uint8Array(48).fill(NEW));
      for (let k = 0; k < 10; k++) if (k !== 4) expect(m.lookup(key(k))).toEqual(new Uint8Array(48).fill(OLD));
      expect(m.recoveryCounts()).toMatchObject({ locksRecovered: 1, recordsReplayed: 1 });
      m.repair();
      expect(verify(m).problems).toEqual([]);
    });
  }

  it('array: a lookup after the death sees the whole new value, never a mix', async () => {
    const m = map({ type: 'array', keySize: 4, valueSize: 48, maxEntries: 8 });
    for (let i = 0; i < 8; i++) expect(m.updateU32(i, new Uint8Array(48).fill(OLD))).toBe(0);
    const doomed = cpu(m);
    await run(doomed, { op: 'half-write-slot', index: 5, fill: NEW });
    await kill(doomed, m);
    expect(m.lookup(key(5))).toEqual(new Uint8Array(48).fill(NEW));
    expect(m.recoveryCounts()).toMatchObject({ locksRecovered: 1, recordsReplayed: 1 });
    expect(verify(m).problems).toEqual([]);
  });

  it('array_resize: a lookup after the death sees the whole new value, never a mix', async () => {
    const m = map({ type: 'array_resize', keySize: 4, valueSize: 48, maxEntries: 16, arrayResize: { subArraySize: 8 } });
    expect(m.grow()).toBe(0);
    for (let i = 0; i < 16; i++) expect(m.updateU32(i, new Uint8Array(48).fill(OLD))).toBe(0);
    const doomed = cpu(m);
    await run(doomed, { op: 'half-write-entry', index: 11, fill: NEW });
    await kill(doomed, m);
    expect(m.lookup(key(11))).toEqual(new Uint8Array(48).fill(NEW));
    expect(m.recoveryCounts()).toMatchObject({ locksRecovered: 1, recordsReplayed: 1 });
    expect(verify(m).problems).toEqual([]);
  });

  it('the same value written by the dead CPU\'s successor on its slot first settles the old record', async () => {
    const m = map({ type: 'hash', keySize: 4, valueSize: 48, maxEntries: 32 });
    expect(m.update(key(4), new Uint8Array(48).fill(OLD))).toBe(0);
    const doomed = cpu(m);
    await run(doomed, { op: 'half-write', key: 4, fill: NEW });
    await kill(doomed, m);
    // Nobody touched key 4 since: the successor's own first write finds its slot's record ACTIVE.
    const successor = cpu(m);
    expect((await run(successor, { op: 'update', key: 9, fill: 0x99 })).rc).toBe(0);
    expect(m.lookup(key(4))).toEqual(new Uint8Array(48).fill(NEW));
    expect(m.recoveryCounts().recordsReplayed).toBe(1);
    expect(verify(m).problems).toEqual([]);
  });
});
