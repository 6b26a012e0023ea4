import { workerData } from 'node:worker_threads';
import { attachMap } from '../registry.js';
import type { MapHandle } from '../map.js';
import { HashResizeMap } from './hash-resize-map.js';

/**
 * The deferred resizer of one hash_resize map (rhashtable's rht_deferred_worker):
 * a thread that sleeps until a watermark is crossed, then migrates the table
 * batch by batch while the CPUs go on. It ends when the map is destroyed.
 */
const { handle, parent } = workerData as { handle: MapHandle; parent: number };
const map = attachMap(handle);
// workerData lives as long as this thread: its list of the segments known at
// start (the first table, usually) would keep them from ever being freed.
// The map's segment store has its own copy and drops them once retired.
handle.segments.length = 0;
if (!(map instanceof HashResizeMap)) throw new TypeError('resizer thread started for a map that is not hash_resize');
map.runResizer(parent);
map.close();
