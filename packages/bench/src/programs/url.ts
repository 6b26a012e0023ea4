/** The benchmark programs (compiled modules the CPUs import). */
export type ProgramName = 'map-loop' | 'helper-loop' | 'reference-loop' | 'empty-loop' | 'array-of-maps-loop';

/**
 * Worker threads load built JavaScript: the programs are found in this
 * package's dist/ whether this module runs from dist/ (the CLI) or from src/
 * (the tests, through vitest), both two levels below the package root.
 */
const DIST_PROGRAMS = new URL('../../dist/programs/', import.meta.url);

/**
 * A program's URL for one subject (a map type, a reference kind). Each
 * distinct URL is a distinct module instance in a CPU's worker, so each
 * subject gets its own copy of the loop and its own JIT feedback: the loop's
 * call site sees one map class (monomorphic), as a BPF program compiled for
 * one map does, instead of every class the suite ran before it.
 */
export function programUrl(name: ProgramName, subject: string): URL {
  const url = new URL(`${name}.js`, DIST_PROGRAMS);
  url.searchParams.set('subject', subject);
  return url;
}
