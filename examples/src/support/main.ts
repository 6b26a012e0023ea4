import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Whether the module at `url` is the script node was started with (`node examples/dist/x.js`). */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === url;
}
