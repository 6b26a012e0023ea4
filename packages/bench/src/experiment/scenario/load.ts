import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateScenario, type Scenario } from './scenario.js';

/** The shipped scenario files (packages/bench/scenarios), the same from src/ and dist/. */
export const SCENARIO_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

/** Names of the shipped scenarios (file names without .json). */
export function shippedScenarios(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * A scenario by shipped name ("default", "flood", ...) or by the path of a
 * JSON file. Parse and validation errors name the file and the field.
 */
export function loadScenario(nameOrPath: string): { scenario: Scenario; file: string } {
  const shipped = `${SCENARIO_DIR}${nameOrPath}.json`;
  const file = /^[\w-]+$/.test(nameOrPath) && existsSync(shipped) ? shipped : nameOrPath;
  if (!existsSync(file)) {
    throw new TypeError(`scenario ${JSON.stringify(nameOrPath)} is neither a shipped scenario (${shippedScenarios().join(', ')}) nor a file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TypeError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  try {
    return { scenario: validateScenario(json), file };
  } catch (err) {
    const e = err as Error;
    const Ctor = e instanceof RangeError ? RangeError : TypeError;
    throw new Ctor(`${file}: ${e.message}`);
  }
}
