import { afterEach, describe, expect, it } from 'vitest';
import { enterCpu, exitCpu } from '../../src/context.js';
import { Errno } from '../../src/errno.js';
import { filled, keyOf } from '../support/bytes.js';
import { useMaps } from '../support/maps.js';

// BPF_F_RDONLY / BPF_F_WRONLY restrict the syscall side only: userspace gets
// -EPERM for what the flag forbids; a program (on a CPU) may do both.
describe('HASH rdonly and wronly', () => {
  const make = useMaps();
  afterEach(() => exitCpu());

  /** A map a program filled with key 1 -> 7. */
  const withEntry = (flags: { rdonly?: boolean; wronly?: boolean }) => {
    const m = make({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 4, flags });
    enterCpu(0);
    expect(m.update(keyOf(1), filled(7))).toBe(0);
    exitCpu();
    return m;
  };

  it('rdonly: userspace reads, and its updates and deletes are -EPERM', () => {
    const m = withEntry({ rdonly: true });
    expect(m.lookup(keyOf(1))).toEqual(filled(7));
    expect(m.update(keyOf(1), filled(9))).toBe(-Errno.EPERM);
    expect(m.update(keyOf(2), filled(9))).toBe(-Errno.EPERM);
    expect(m.delete(keyOf(1))).toBe(-Errno.EPERM);
    expect(m.lookupAndDeleteInto(keyOf(1), new Uint8Array(4))).toBe(-Errno.EPERM);
    expect(m.lookupAndDeleteBatch(null, 4).err).toBe(-Errno.EPERM);
    expect(m.lookup(keyOf(1))).toEqual(filled(7));
    expect(m.stats().entries).toBe(1);
  });

  it('wronly: userspace writes, and its lookups and walks are -EPERM', () => {
    const m = withEntry({ wronly: true });
    expect(m.lookupInto(keyOf(1), new Uint8Array(4))).toBe(-Errno.EPERM);
    expect(m.lookup(keyOf(1))).toBeUndefined();
    expect(m.getNextKey(null, new Uint8Array(4))).toBe(-Errno.EPERM);
    expect(m.lookupBatch(null, 4).err).toBe(-Errno.EPERM);
    expect(m.update(keyOf(1), filled(8))).toBe(0);
    enterCpu(0);
    expect(m.lookup(keyOf(1))).toEqual(filled(8));
  });
});
