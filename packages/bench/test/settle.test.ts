import type { BpfMap } from '@rightsize/engine';
import { describe, expect, it } from 'vitest';
import { MapStuckError, settle } from '../src/suites/runner.js';

/** A stand-in map whose stats() report a resize for the first `busyReads` reads. */
function mapResizingFor(busyReads: number): BpfMap {
  let reads = 0;
  return { spec: { type: 'hash_resize' }, stats: () => ({ state: reads++ < busyReads ? 'resizing' : 'idle' }) } as unknown as BpfMap;
}

describe('waiting for a resize to finish between measurements', () => {
  it('returns once the map is idle', async () => {
    await expect(settle(mapResizingFor(3), 1000)).resolves.toBeUndefined();
  });

  it('gives up after its bound with a MapStuckError (a resizer that died must not hang the suite)', async () => {
    await expect(settle(mapResizingFor(Number.POSITIVE_INFINITY), 50)).rejects.toBeInstanceOf(MapStuckError);
  });
});
