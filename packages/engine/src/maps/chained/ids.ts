/**
 * The three kinds of index the chained core passes around, all plain
 * numbers at run time and easy to swap by mistake: an element's index in
 * its store, a bucket's index in a table, and a word offset into an
 * Int32Array view. Each gets a brand, a type only (no wrapper, no call):
 * a bucket index passed where an element id is expected fails to compile.
 *
 * A number becomes one with a cast where it is made: read from a chain word
 * (NEXT, HEAD), handed out by an allocator, or computed from a hash
 * (`(hash & mask) as BucketIndex`). A branded number is still a number, so
 * arithmetic and typed-array indexing need no cast back.
 */
declare const brand: unique symbol;

/**
 * An element's index in its ElementStore (chunk << shift | slot), always
 * >= 0. A walk's cursor and a find's or an allocation's result are of this
 * type too, negative when they hold no element (a chain's terminator, -1,
 * IN_NEXT_TABLE, OVER_BUDGET): the caller tests `e >= 0` before it uses one
 * as an element (a comparison does not narrow a brand, so the type stays).
 */
export type ElementId = number & { readonly [brand]: 'ElementId' };

/** A bucket's index in one table (0 .. nBuckets - 1). */
export type BucketIndex = number & { readonly [brand]: 'BucketIndex' };

/** A word offset into an Int32Array view (an element's first word in its chunk view: ElementStore.base). */
export type WordOffset = number & { readonly [brand]: 'WordOffset' };
