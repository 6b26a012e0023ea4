import { describe, expect, it } from 'vitest';
import { BPF_EXIST, BPF_NOEXIST, Errno, createMap, type MapSpec } from '../../src/index.js';
import { onCpu, u32 } from '../lru/helpers.js';
import { INNER, outer } from './helpers.js';

// bpf_fd_array_map_update_elem: flags other than BPF_ANY -EINVAL, then index
// out of range -E2BIG, then an inner map unlike the template -EINVAL.
describe('array_of_maps update errors', () => {
  it('flags other than BPF_ANY are -EINVAL, checked before the index', () => {
    const aom = outer();
    const m = createMap(INNER);
    for (const f of [BPF_NOEXIST, BPF_EXIST, 4, 8]) {
      expect(aom.setInner(0, m, f)).toBe(-Errno.EINVAL);
      expect(aom.setInner(10, m, f)).toBe(-Errno.EINVAL);
    }
    expect(aom.stats().entries).toBe(0);
  });

  it('an index out of range is -E2BIG', () => {
    const aom = outer(4);
    expect(aom.setInner(4, createMap(INNER))).toBe(-Errno.E2BIG);
    expect(aom.deleteU32(4)).toBe(-Errno.E2BIG);
  });

  it('an inner map unlike the template is -EINVAL', () => {
    const aom = outer();
    const unlike: MapSpec[] = [
      { ...INNER, type: 'percpu_array' },
      { ...INNER, valueSize: 4 },
      { ...INNER, maxEntries: 17 },
      { ...INNER, flags: { rdonly: true } },
      { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 },
    ];
    for (const spec of unlike) expect(aom.setInner(0, createMap(spec))).toBe(-Errno.EINVAL);
    expect(aom.stats().entries).toBe(0);
  });

  it('hash inner maps may differ in maxEntries, as in the kernel; key size may not', () => {
    const aom = outer(2, { type: 'hash', keySize: 8, valueSize: 4, maxEntries: 64 });
    expect(aom.setInner(0, createMap({ type: 'hash', keySize: 8, valueSize: 4, maxEntries: 4 }))).toBe(0);
    expect(aom.setInner(1, createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64 }))).toBe(-Errno.EINVAL);
  });

  it('per-CPU inner maps must have the same CPU count', () => {
    const tpl: MapSpec = { type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 8, nCpus: 2 };
    const aom = outer(2, tpl);
    expect(aom.setInner(0, createMap({ ...tpl, nCpus: 3 }))).toBe(-Errno.EINVAL);
    expect(aom.setInner(0, createMap(tpl))).toBe(0);
  });

  it('a destroyed inner map is -EINVAL', () => {
    const aom = outer();
    const m = createMap(INNER);
    m.destroy();
    expect(aom.setInner(0, m.handle)).toBe(-Errno.EINVAL);
  });

  it('a program may not update or delete (the verifier refuses it in the kernel)', () => {
    const aom = outer();
    const m = createMap(INNER);
    expect(aom.setInner(0, m)).toBe(0);
    onCpu(0, () => {
      expect(aom.setInner(1, m)).toBe(-Errno.EINVAL);
      expect(aom.deleteU32(0)).toBe(-Errno.EINVAL);
    });
    expect(aom.stats().entries).toBe(1);
  });

  it('a read-only outer map refuses userspace updates with -EPERM', () => {
    const aom = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, inner: INNER, flags: { rdonly: true } }) as ReturnType<typeof outer>;
    expect(aom.setInner(0, createMap(INNER))).toBe(-Errno.EPERM);
  });

  it('something that is neither a map nor a handle is a TypeError', () => {
    const aom = outer();
    expect(() => aom.setInner(0, {} as never)).toThrow(TypeError);
    expect(() => aom.setInner(0.5, createMap(INNER))).toThrow(TypeError);
  });

  it('the spec needs an inner template and valueSize 4', () => {
    expect(() => createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2 })).toThrow(TypeError);
    expect(() => createMap({ type: 'array_of_maps', keySize: 4, valueSize: 8, maxEntries: 2, inner: INNER })).toThrow(RangeError);
  });

  it('atomicAdd and lookup-and-delete are refused', () => {
    const aom = outer();
    expect(aom.setInner(0, createMap(INNER))).toBe(0);
    expect(aom.atomicAdd(u32(0), 0, 1)).toBe(-Errno.EINVAL);
    expect(aom.lookupAndDeleteInto(u32(0), new Uint8Array(4))).toBe(-Errno.ENOTSUPP);
  });
});
