import { MapReference } from './builtin-map.js';
import type { Reference, ReferenceKind, ReferenceSpec } from './reference.js';
import { SharedMapReference } from './sharedmap.js';
import { TypedArrayReference } from './typed-array.js';
import { UnsyncReference } from './unsync-reference.js';

/** Makes an empty reference of a kind. */
export function createReference(kind: ReferenceKind, spec: ReferenceSpec): Reference {
  switch (kind) {
    case 'unsync':
      return new UnsyncReference(spec);
    case 'Map':
      return new MapReference(spec);
    case 'sharedmap':
      return new SharedMapReference(spec);
    case 'typed_array':
      return new TypedArrayReference(spec);
    default:
      throw new TypeError(`unknown reference kind ${JSON.stringify(kind)}`);
  }
}
