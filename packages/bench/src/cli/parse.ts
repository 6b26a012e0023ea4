import { InvalidArgumentError } from 'commander';

// Option parsers every subcommand shares (each concept's own, such as the
// suites' mixers, live with its command).

const UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, Ki: 2 ** 10, M: 1e6, Mi: 2 ** 20, G: 1e9, Gi: 2 ** 30 };

/** An integer with an optional unit: 65536, 64Ki, 4Mi, 10k. */
export function parseCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|K|Ki|M|Mi|G|Gi)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a count (e.g. 65536, 64Ki, 4Mi)`);
  const n = Number(m[1]) * UNITS[m[2] ?? '']!;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return n;
}

/** A comma-separated list, each item parsed by `item`. */
export function parseList<T>(item: (s: string) => T): (text: string) => T[] {
  return (text) => {
    const parts = text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (parts.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
    return parts.map(item);
  };
}

export function parseMs(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${text}" is not a positive number of ms`);
  return n;
}
