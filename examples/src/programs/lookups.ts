import { defineProgram, type ProgramContext } from '@rightsize/workers';

export interface LookupsParams {
  /** Keys 0..keys-1 are in the map; a power of two. */
  keys: number;
}

/** Lookup-heavy: one lookup per event, of a key spread over the whole map by a multiplicative hash. */
export default defineProgram({
  setup(ctx: ProgramContext<LookupsParams>) {
    const map = ctx.maps.m;
    return { map, out: new Uint8Array(map.spec.valueSize), mask: ctx.params.keys - 1 };
  },
  run(ctx, s, i) {
    ctx.lookupU32(s.map, (Math.imul(i, 0x9e3779b1) >>> 0) & s.mask, s.out);
  },
});
