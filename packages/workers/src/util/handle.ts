import { describeValue as describe, type MapHandle } from '@rightsize/engine';

/** A map or a handle, as a handle. */
export function handleOf(field: string, m: unknown): MapHandle {
  if (typeof m === 'object' && m !== null) {
    const h = (m as { handle?: unknown }).handle ?? m;
    if (typeof h === 'object' && h !== null && (h as { kind?: unknown }).kind === 'rightsize-map') return h as MapHandle;
  }
  throw new TypeError(`${field} must be a map (from createMap/attachMap) or its handle, got ${describe(m)}`);
}
