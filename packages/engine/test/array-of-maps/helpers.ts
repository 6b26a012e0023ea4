import { createMap, type ArrayOfMapsMap, type MapSpec, type QuiescenceDomain } from '../../src/index.js';

export const INNER: MapSpec = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 16 };

/** An array_of_maps of `maxEntries` whose template is `inner`. */
export function outer(maxEntries = 4, inner: MapSpec = INNER, domain?: QuiescenceDomain): ArrayOfMapsMap {
  return createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries, inner }, domain ? { domain } : {}) as ArrayOfMapsMap;
}
