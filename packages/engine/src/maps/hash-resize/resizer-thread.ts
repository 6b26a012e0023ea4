import { workerData } from 'node:worker_threads';
import { attachParts } from '../base.js';
import type { MapHandle } from '../map.js';
import { HashResizeMap } from './hash-resize-map.js';

/**
 * The deferred resizer of one hash_resize map (rhashtable's rht_deferred_worker):
 * a thread that sleeps until a watermark is crossed, then migrates the table
 * batch by batch while the CPUs go on. It ends when the map is destroyed.
 *
 * It attaches its map as the registry's attachMap would, through the type
 * itself: the registry imports every map type, so importing it from here
 * would make the two folders import each other.
 */
const { handle, parent } = workerData as { handle: MapHandle; parent: number };
const parts = attachParts(handle);
if (parts.spec.type !== 'hash_resize') throw new TypeError('resizer thread started for a map that is not hash_resize');
const map = HashResizeMap.attach(handle, parts);
// workerData lives as long as this thread: its list of the segments known at
// start (the first table, usually) would keep them from ever being freed.
// The map's segment store has its own copy and drops them once retired.
handle.segments.length = 0;
map.runResizer(parent);
map.close();
