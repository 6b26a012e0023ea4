import { describe, expectTypeOf, it } from 'vitest';
import type { ElementAllocator, ElementStore } from '../../src/maps/chained/allocator.js';
import type { BucketIndex, ElementId, WordOffset } from '../../src/maps/chained/ids.js';
import type { ChainedTable } from '../../src/maps/chained/table.js';
import type { Migration } from '../../src/maps/hash-resize/migration.js';
import type { ElementPool } from '../../src/maps/hash-resize/pool.js';
import type { TableView } from '../../src/maps/hash-resize/tables.js';

// Element ids, bucket indexes and word offsets are all numbers at run time;
// their brands (src/maps/chained/ids.ts) exist for the compiler only. So this
// file proves its point when it compiles (`pnpm check:types`, run by `pnpm
// lint`): an expectation below that stops holding, or a `@ts-expect-error`
// line that starts compiling, fails the type check. At run time its tests
// pass trivially.

describe('branded index types', () => {
  it('the three kinds do not mix, and a plain number is none of them', () => {
    expectTypeOf<BucketIndex>().not.toExtend<ElementId>();
    expectTypeOf<ElementId>().not.toExtend<BucketIndex>();
    expectTypeOf<WordOffset>().not.toExtend<ElementId>();
    expectTypeOf<ElementId>().not.toExtend<WordOffset>();
    expectTypeOf<number>().not.toExtend<ElementId>();
    expectTypeOf<number>().not.toExtend<BucketIndex>();
    // Still numbers: arithmetic and typed-array indexing need no cast back.
    expectTypeOf<ElementId>().toExtend<number>();
    expectTypeOf<BucketIndex>().toExtend<number>();
  });

  it('the chained table, the allocator, the pool and the migration take the kind they name', () => {
    expectTypeOf<ChainedTable['unlinkLocked']>().parameters.toEqualTypeOf<[BucketIndex, ElementId]>();
    expectTypeOf<ChainedTable['findLocked']>().returns.toEqualTypeOf<ElementId>();
    expectTypeOf<ChainedTable['keyEquals']>().parameter(1).toEqualTypeOf<WordOffset>();
    expectTypeOf<ElementStore['base']>().returns.toEqualTypeOf<WordOffset>();
    expectTypeOf<ElementAllocator['alloc']>().returns.toEqualTypeOf<ElementId>();
    expectTypeOf<ElementAllocator['free']>().parameter(0).toEqualTypeOf<ElementId>();
    expectTypeOf<ElementPool['alloc']>().returns.toEqualTypeOf<ElementId>();
    expectTypeOf<ElementPool['release']>().parameter(0).toEqualTypeOf<ElementId>();
    expectTypeOf<Migration['relinkBucketLocked']>().parameter(2).toEqualTypeOf<BucketIndex>();
  });

  it('a bucket index where an element id is expected, or the reverse, does not compile', () => {
    // Never called: only compiled.
    const confusions = (t: ChainedTable, pool: ElementPool, migration: Migration, cur: TableView, fut: TableView, b: BucketIndex, e: ElementId, key: Int32Array): void => {
      // @ts-expect-error a bucket index is not an element id
      t.unlinkLocked(b, b);
      // @ts-expect-error an element id is not a bucket index
      t.unlinkLocked(e, e);
      // @ts-expect-error the arguments swapped
      t.writeValue(e, b, 0, new Uint8Array(4), 0, 4);
      // @ts-expect-error a bucket index is not an element to give back
      pool.release(b, 0);
      // @ts-expect-error an element id is not an old bucket to relink
      migration.relinkBucketLocked(cur, fut, e);
      // @ts-expect-error an element id is not its word offset
      t.keyEquals(t.store.words(e), e, key);
      // @ts-expect-error a plain number is none of the kinds: it is branded where it is made
      t.hashOf(7);
    };
    expectTypeOf(confusions).toBeFunction();
  });
});
