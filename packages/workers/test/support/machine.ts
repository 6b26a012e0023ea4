import { afterAll, beforeAll } from 'vitest';
import { createMap, type BpfMap, type MapSpec } from '@rightsize/engine';
// Worker threads load built JS: the tests drive the built package, as a user does.
import { Machine } from '../../dist/index.js';

/** The URL of a test program (plain ES modules in test/programs, importing the built package by name). */
export function program(name: string): URL {
  return new URL(`../programs/${name}.mjs`, import.meta.url);
}

/**
 * A machine for the file's tests, started once and closed after them, and a
 * map factory whose maps are destroyed with it. Call at describe level.
 */
export function useMachine(cpus = 2): { machine: () => Machine; map: (spec: MapSpec) => BpfMap } {
  let m: Machine | undefined;
  const made: BpfMap[] = [];
  beforeAll(async () => {
    m = await Machine.start({ cpus });
  });
  afterAll(async () => {
    await m?.close();
    for (const x of made.splice(0)) x.destroy();
  });
  return {
    machine: () => {
      if (!m) throw new Error('the machine is started in beforeAll');
      return m;
    },
    map: (spec) => {
      // Maps are created after Machine.start, so they join its quiescence domain.
      const x = createMap(spec);
      made.push(x);
      return x;
    },
  };
}

export function u32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

/** Every value of a map read as a u32 at `offset`, by u32 key. */
export function u32Entries(map: BpfMap, offset = 0): Map<number, number> {
  const out = new Map<number, number>();
  for (const k of map.keys()) out.set(u32(k), u32(map.lookup(k)!, offset));
  return out;
}
