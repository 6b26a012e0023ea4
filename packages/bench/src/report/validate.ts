/**
 * A small runtime schema language: a Validator checks a value and appends
 * one message per problem, each naming where it is ($.cells[3].summary).
 * Result files are checked with it before they are written, and tests hold
 * real and broken files against it. Other reports (the experiment) declare
 * their schemas with the same pieces.
 */
export type Validator = (value: unknown, path: string, errors: string[]) => void;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** A finite number (never NaN or Infinity, which JSON cannot hold anyway), optionally an integer within bounds. */
export function isNumber(rule: NumberRule = {}): Validator {
  return (v, path, errors) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      errors.push(`${path}: expected a finite number, got ${show(v)}`);
      return;
    }
    if (rule.integer && !Number.isInteger(v)) errors.push(`${path}: expected an integer, got ${v}`);
    if (rule.min !== undefined && v < rule.min) errors.push(`${path}: expected >= ${rule.min}, got ${v}`);
    if (rule.max !== undefined && v > rule.max) errors.push(`${path}: expected <= ${rule.max}, got ${v}`);
  };
}

export function isString(rule: { nonEmpty?: boolean; pattern?: RegExp } = {}): Validator {
  return (v, path, errors) => {
    if (typeof v !== 'string') {
      errors.push(`${path}: expected a string, got ${show(v)}`);
      return;
    }
    if (rule.nonEmpty && v.length === 0) errors.push(`${path}: expected a non-empty string`);
    if (rule.pattern && !rule.pattern.test(v)) errors.push(`${path}: ${show(v)} does not match ${rule.pattern}`);
  };
}

export const isBoolean: Validator = (v, path, errors) => {
  if (typeof v !== 'boolean') errors.push(`${path}: expected a boolean, got ${show(v)}`);
};

/** One of the given constants. */
export function isLiteral(...values: (string | number | boolean | null)[]): Validator {
  return (v, path, errors) => {
    if (!values.includes(v as string | number | boolean | null)) errors.push(`${path}: expected one of ${values.map(show).join(', ')}, got ${show(v)}`);
  };
}

export function isArray(item: Validator, rule: { minLength?: number } = {}): Validator {
  return (v, path, errors) => {
    if (!Array.isArray(v)) {
      errors.push(`${path}: expected an array, got ${show(v)}`);
      return;
    }
    if (rule.minLength !== undefined && v.length < rule.minLength) errors.push(`${path}: expected at least ${rule.minLength} items, got ${v.length}`);
    v.forEach((x, i) => item(x, `${path}[${i}]`, errors));
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object whose every property passes `value` (a dictionary). */
export function isRecord(value: Validator): Validator {
  return (v, path, errors) => {
    if (!isPlainObject(v)) {
      errors.push(`${path}: expected an object, got ${show(v)}`);
      return;
    }
    for (const [k, x] of Object.entries(v)) value(x, `${path}.${k}`, errors);
  };
}

/**
 * An object with the `required` properties and possibly the `optional` ones.
 * Unknown properties are errors unless `extra` is set: a typo in a writer
 * should not pass silently.
 */
export function isObject(required: Record<string, Validator>, optional: Record<string, Validator> = {}, rule: { extra?: boolean } = {}): Validator {
  return (v, path, errors) => {
    if (!isPlainObject(v)) {
      errors.push(`${path}: expected an object, got ${show(v)}`);
      return;
    }
    for (const [k, check] of Object.entries(required)) {
      if (!(k in v)) errors.push(`${path}.${k}: missing`);
      else check(v[k], `${path}.${k}`, errors);
    }
    for (const [k, check] of Object.entries(optional)) {
      if (k in v && v[k] !== undefined) check(v[k], `${path}.${k}`, errors);
    }
    if (!rule.extra) {
      for (const k of Object.keys(v)) if (!(k in required) && !(k in optional)) errors.push(`${path}.${k}: unknown property`);
    }
  };
}

export function isNullable(inner: Validator): Validator {
  return (v, path, errors) => {
    if (v !== null) inner(v, path, errors);
  };
}

/** Passes when any of the alternatives passes; otherwise reports the first alternative's problems. */
export function isAnyOf(...alternatives: Validator[]): Validator {
  return (v, path, errors) => {
    let first: string[] | null = null;
    for (const alt of alternatives) {
      const e: string[] = [];
      alt(v, path, e);
      if (e.length === 0) return;
      first ??= e;
    }
    errors.push(...(first ?? [`${path}: no alternative given`]));
  };
}

/** Accepts anything (a free-form field such as a map's stats()). */
export const isAny: Validator = () => {};

/** Runs a validator: the list of problems, empty when the value is valid. */
export function check(validator: Validator, value: unknown, root = '$'): string[] {
  const errors: string[] = [];
  validator(value, root, errors);
  return errors;
}
