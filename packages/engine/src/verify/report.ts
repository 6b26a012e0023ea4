/**
 * What `verify(map)` returns: every broken invariant it found, in words, and
 * how much it looked at (so that "ok" on an empty walk is visible as such).
 */
export interface VerifyReport {
  /** No problem found. */
  ok: boolean;
  /** The map type checked. */
  type: string;
  /** One line per broken invariant (capped at `maxProblems`, then a count of the rest). */
  problems: string[];
  /** What was walked: buckets, elements, free elements, locks, slots, ... */
  checked: Record<string, number>;
}

export interface VerifyOptions {
  /** Problems listed one by one before the rest are only counted. Default 50. */
  maxProblems?: number;
}

/** Collects problems and counts while a checker walks a map. */
export class Findings {
  readonly problems: string[] = [];
  readonly checked: Record<string, number> = {};
  private dropped = 0;

  constructor(private readonly maxProblems: number) {}

  problem(message: string): void {
    if (this.problems.length < this.maxProblems) this.problems.push(message);
    else this.dropped++;
  }

  count(what: string, n = 1): void {
    this.checked[what] = (this.checked[what] ?? 0) + n;
  }

  /** Whether nothing was found so far (checkers stop walking a structure already known broken). */
  get clean(): boolean {
    return this.problems.length === 0;
  }

  report(type: string): VerifyReport {
    const problems = this.dropped > 0 ? [...this.problems, `... and ${this.dropped} more problems`] : this.problems;
    return { ok: problems.length === 0, type, problems, checked: this.checked };
  }
}
