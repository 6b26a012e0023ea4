import { afterEach } from 'vitest';
import { createMap } from '../../src/maps/registry.js';
import type { BpfMap } from '../../src/maps/map.js';
import type { MapFlags, MapSpec } from '../../src/spec/map-spec.js';

/** The two HASH modes every HASH semantic runs in (the issue asks for both). */
export const HASH_MODES: { mode: string; flags: MapFlags }[] = [
  { mode: 'prealloc', flags: {} },
  { mode: 'noPrealloc', flags: { noPrealloc: true } },
];

/**
 * A map factory whose maps are destroyed after each test (each map holds a
 * BroadcastChannel; destroying closes it). Call at describe level.
 */
export function useMaps(): (spec: MapSpec) => BpfMap {
  const made: BpfMap[] = [];
  afterEach(() => {
    for (const m of made.splice(0)) m.destroy();
  });
  return (spec) => {
    const m = createMap(spec);
    made.push(m);
    return m;
  };
}
