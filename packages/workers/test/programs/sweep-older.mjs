// A sweep module (runs in the agent thread): removes the flows last seen
// before params.cutoffUs, or, with params.maxAgeUs, more than that long
// before now. Returns how many it removed.
export default function sweep(map, params, nowNs) {
  const cutoff = params.cutoffUs ?? Math.floor(nowNs / 1000) - params.maxAgeUs;
  let removed = 0;
  for (const key of [...map.keys()]) {
    const v = map.lookup(key);
    if (v && new DataView(v.buffer, v.byteOffset).getUint32(4, true) < cutoff && map.delete(key) === 0) removed++;
  }
  return removed;
}
