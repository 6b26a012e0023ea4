/** What the micro-benchmark scripts share: the best-of-N timing of a step, and their command-line arguments. */

/**
 * The lowest ns per operation of `reps` runs of `f(s, ops)`, after one
 * untimed run of `warmOps` operations (so that the step is optimised first).
 */
export function bestNsPerOp<S>(f: (s: S, ops: number) => void, s: S, ops: number, reps: number, warmOps = Math.min(ops, 200_000)): number {
  f(s, warmOps);
  let min = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    f(s, ops);
    const ns = Number(process.hrtime.bigint() - t0) / ops;
    if (ns < min) min = ns;
  }
  return min;
}

/** The value after `--name` on the command line, or `dflt`. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}
