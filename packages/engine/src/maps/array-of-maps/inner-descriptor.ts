import type { SegmentStore } from '../../memory/segments.js';
import type { NormalizedSpec } from '../../spec/map-spec.js';
import { MapHeader } from '../header.js';
import type { MapHandle } from '../map.js';

/**
 * How an inner map reaches the threads that look it up.
 *
 * A handle is plain data plus SharedArrayBuffers, so it cannot be stored in
 * the outer map's shared words. The outer map stores a slot id instead (one
 * Int32 per index, the value userspace sees) and publishes the handle through
 * its own SegmentStore, as segments numbered from `slotId * DESCRIPTOR_SEGS`:
 *
 *   +0  the descriptor: u32 length, then JSON { id, spec, segs, upTo } (the
 *       inner map's id, its spec, the ids of the segments that follow, and
 *       the inner map's publication count they are complete up to)
 *   +1  the inner map's header
 *   +2  its quiescence domain
 *   +3+k  its k-th segment known when it was installed
 *
 * Any thread meeting an unknown slot id rebuilds the handle from these (the
 * descriptor is published before the slot id is stored, so they are in its
 * queue: memory/segments.ts, rule 1) and attaches the map. Segments the
 * inner map adds later (a noPrealloc chunk, a grown sub-array, a redo
 * record) travel over the inner map's own channel, as for any map; the
 * attach finds those published since the descriptor (rule 4). Slot
 * ids are never reused, so a thread's cache keyed by slot id is never stale.
 */
export const DESCRIPTOR_SEGS = 1024;
const MAX_INNER_SEGS = DESCRIPTOR_SEGS - 3;

export interface InnerDescriptor {
  readonly slotId: number;
  readonly handle: MapHandle;
  readonly header: MapHeader;
}

/** Publishes `handle` under `slotId` (the caller allocated the id) and returns its descriptor. */
export function publishDescriptor(segments: SegmentStore, slotId: number, handle: MapHandle): InnerDescriptor {
  const base = slotId * DESCRIPTOR_SEGS;
  const segs = handle.segments.slice(0, MAX_INNER_SEGS);
  // JSON has no Infinity: an unlimited memoryBudget is left out (its default).
  const spec: Partial<NormalizedSpec> = { ...handle.spec };
  if (spec.memoryBudget === Number.POSITIVE_INFINITY) delete spec.memoryBudget;
  const json = new TextEncoder().encode(JSON.stringify({ id: handle.id, spec, segs: segs.map(([id]) => id), upTo: handle.publishedUpTo }));
  const desc = new SharedArrayBuffer(4 + json.length);
  new DataView(desc).setUint32(0, json.length, true);
  new Uint8Array(desc, 4).set(json);
  segments.publish(base, desc);
  segments.publish(base + 1, handle.header);
  segments.publish(base + 2, handle.domain);
  segs.forEach(([, sab], k) => segments.publish(base + 3 + k, sab));
  return { slotId, handle, header: new MapHeader(handle.header) };
}

/** Rebuilds the handle published under `slotId` (fetching segments this thread has not seen). */
export function readDescriptor(segments: SegmentStore, slotId: number): InnerDescriptor {
  const base = slotId * DESCRIPTOR_SEGS;
  const desc = segments.get(base);
  const len = new DataView(desc).getUint32(0, true);
  // TextDecoder refuses views of shared memory: copy the bytes out first.
  const bytes = new Uint8Array(desc, 4, len).slice();
  const d = JSON.parse(new TextDecoder().decode(bytes)) as { id: string; spec: NormalizedSpec; segs: number[]; upTo: number };
  const spec = { ...d.spec, memoryBudget: d.spec.memoryBudget ?? Number.POSITIVE_INFINITY };
  const handle: MapHandle = {
    kind: 'rightsize-map',
    id: d.id,
    spec,
    header: segments.get(base + 1),
    domain: segments.get(base + 2),
    segments: d.segs.map((id, k) => [id, segments.get(base + 3 + k)]),
    publishedUpTo: d.upTo,
  };
  return { slotId, handle, header: new MapHeader(handle.header) };
}

/** Forgets, in this thread, the segments of a released descriptor. */
export function dropDescriptor(segments: SegmentStore, d: InnerDescriptor): void {
  const base = d.slotId * DESCRIPTOR_SEGS;
  for (let j = 0; j < 3 + Math.min(d.handle.segments.length, MAX_INNER_SEGS); j++) segments.drop(base + j);
}
