/** Number formats shared by every table: few digits, units spelled out, '–' for a missing figure. */
export const MISSING = '–';

/** Operations per second with an SI prefix: 23.4 M, 812 k. */
export function formatRate(opsPerSec: number | null | undefined): string {
  if (opsPerSec === null || opsPerSec === undefined || !Number.isFinite(opsPerSec)) return MISSING;
  if (opsPerSec >= 1e9) return `${sig(opsPerSec / 1e9)} G`;
  if (opsPerSec >= 1e6) return `${sig(opsPerSec / 1e6)} M`;
  if (opsPerSec >= 1e3) return `${sig(opsPerSec / 1e3)} k`;
  return sig(opsPerSec);
}

/** A whole count with thousands separators: 212449 -> "212,449". */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Three significant digits, without an exponent. */
export function sig(x: number, digits = 3): string {
  if (x === 0) return '0';
  const p = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(p, 6));
}

/** A ratio: 0.62, 1.05, 18.3. */
export function formatRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return MISSING;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

export function formatNs(ns: number | null | undefined): string {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return MISSING;
  if (ns >= 1e6) return `${sig(ns / 1e6)} ms`;
  if (ns >= 1e3) return `${sig(ns / 1e3)} µs`;
  return `${sig(ns)} ns`;
}

export function formatBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return MISSING;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let x = b;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${b} B` : `${sig(x)} ${units[u]}`;
}

/** A share as a percentage: 0.034 -> 3.4%. */
export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return MISSING;
  return `${sig(share * 100, 2)}%`;
}

/** A count of entries in binary units when it is a whole power-of-two multiple: 65536 -> 64Ki. */
export function formatCount(n: number): string {
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20}Mi`;
  if (n >= 2 ** 10 && n % 2 ** 10 === 0) return `${n / 2 ** 10}Ki`;
  return String(n);
}
