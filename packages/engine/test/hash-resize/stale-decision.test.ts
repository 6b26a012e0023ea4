import { afterEach, describe, expect, it } from 'vitest';
import { Errno } from '../../src/errno.js';
import { GROW } from '../../src/maps/hash-resize/layout.js';
import type { HashResizeMap } from '../../src/maps/hash-resize/hash-resize-map.js';
import { createMap } from '../../src/maps/registry.js';

// A resize decision is sized from the table its decider saw. A writer whose
// view was older than a resize that finished since decided from the old
// size; carried out on the new table it grew the table twice (the adaptive
// controller's extra grow in the oscillating experiment). Such a decision
// is dropped: beginResize refuses it (-EAGAIN), the deferred resizer does not
// take it, and the controller decides again from the table there is.

describe('hash_resize: a decision made for another table size is not carried out', () => {
  let map: HashResizeMap | null = null;
  afterEach(() => {
    map?.destroy();
    map = null;
  });

  function filled(): HashResizeMap {
    const m = createMap({ type: 'hash_resize', keySize: 4, valueSize: 4, maxEntries: 1 << 16, resize: { driver: 'inline', initialBuckets: 1024, autoResize: false } }) as HashResizeMap;
    const v = new Uint8Array(4);
    for (let k = 0; k < 700; k++) expect(m.updateU32(k, v)).toBe(0);
    return m;
  }

  it('beginResize with the size the decision was made for grows; with a stale one it returns -EAGAIN and changes nothing', () => {
    const m = (map = filled());
    const before = m.stats();
    expect(m.migration.beginResize(GROW, 4096, 'trend-grow', 512)).toBe(-Errno.EAGAIN);
    expect(m.stats().buckets).toBe(before.buckets);
    expect(m.stats().state).toBe('idle');
    expect(m.migration.beginResize(GROW, 4096, 'trend-grow', 1024)).toBe(0);
    expect(m.stats().state).not.toBe('idle');
  });

  it('the deferred resizer takes a pending decision only for the table it was made for', () => {
    const m = (map = filled());
    m.control.setPending({ dir: GROW, toBuckets: 8192, reason: 'trend-grow' }, 512);
    expect(m.control.hasPending(GROW, 1024)).toBe(false);
    expect(m.control.takePending(GROW, 1024)).toBeNull();
    // Taken (dropped) once: nothing waits any more.
    expect(m.control.takePending(GROW, 512)).toBeNull();
    m.control.setPending({ dir: GROW, toBuckets: 8192, reason: 'trend-grow' }, 1024);
    expect(m.control.hasPending(GROW, 1024)).toBe(true);
    expect(m.control.takePending(GROW, 1024)).toEqual({ toBuckets: 8192, reason: 'trend-grow' });
  });
});
