import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A module given as a URL (object or string) or an absolute path, as a file: URL string for import(). */
export function moduleHref(what: string, m: unknown): string {
  if (m instanceof URL) return m.href;
  if (typeof m === 'string') {
    if (/^[a-z][a-z0-9+.-]*:/i.test(m) && !/^[a-z]:[\\/]/i.test(m)) return new URL(m).href;
    if (isAbsolute(m)) return pathToFileURL(m).href;
    throw new TypeError(`${what} must be a URL or an absolute path to a compiled module, got the relative path ${JSON.stringify(m)}`);
  }
  throw new TypeError(`${what} must be a URL or an absolute path to a compiled module, got ${m === null ? 'null' : typeof m}`);
}
