import { Type, type TProperties, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

/**
 * Result files are described with TypeBox schemas (which are JSON Schema, so
 * they are also published under packages/bench/schemas/). This module turns
 * TypeBox's errors into one short message per problem, each naming where it
 * is ($.cells[3].summary), and gives the few schema shapes the writers use
 * that TypeBox spells at length.
 */

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** '/cells/3/summary' as '$.cells[3].summary'. */
function jsonPath(root: string, pointer: string): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

function message(e: ValueError, root: string): string[] {
  const at = jsonPath(root, e.path);
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return [`${at}: missing`];
    case ValueErrorType.ObjectAdditionalProperties:
      return [`${at}: unknown property`];
    case ValueErrorType.Number:
      return [`${at}: expected a finite number, got ${show(e.value)}`];
    case ValueErrorType.NumberMultipleOf:
      return [`${at}: expected an integer, got ${show(e.value)}`];
    case ValueErrorType.NumberMinimum:
      return [`${at}: expected >= ${String(s.minimum)}, got ${show(e.value)}`];
    case ValueErrorType.NumberMaximum:
      return [`${at}: expected <= ${String(s.maximum)}, got ${show(e.value)}`];
    case ValueErrorType.String:
      return [`${at}: expected a string, got ${show(e.value)}`];
    case ValueErrorType.StringMinLength:
      return [`${at}: expected a non-empty string`];
    case ValueErrorType.StringPattern:
      return [`${at}: ${show(e.value)} does not match /${String(s.pattern)}/`];
    case ValueErrorType.Boolean:
      return [`${at}: expected a boolean, got ${show(e.value)}`];
    case ValueErrorType.Array:
      return [`${at}: expected an array, got ${show(e.value)}`];
    case ValueErrorType.ArrayMinItems:
      return [`${at}: expected at least ${String(s.minItems)} items, got ${(e.value as unknown[]).length}`];
    case ValueErrorType.Object:
      return [`${at}: expected an object, got ${show(e.value)}`];
    case ValueErrorType.Literal:
      return [`${at}: expected ${show(s.const)}, got ${show(e.value)}`];
    case ValueErrorType.Null:
      return [`${at}: expected null, got ${show(e.value)}`];
    case ValueErrorType.Union: {
      const variants = (s.anyOf as Record<string, unknown>[]) ?? [];
      if (variants.length > 0 && variants.every((v) => 'const' in v)) {
        return [`${at}: expected one of ${variants.map((v) => show(v.const)).join(', ')}, got ${show(e.value)}`];
      }
      // Like a nullable or an any-of: the problems of the first alternative (the main one, written first).
      return e.errors[0] ? collect(e.errors[0], root) : [`${at}: ${e.message}`];
    }
    default:
      return [`${at}: ${e.message}`];
  }
}

/** An integer check reads before the bounds of the same number (TypeBox yields it last). */
const rank = (e: ValueError): number => (e.type === ValueErrorType.NumberMultipleOf ? 0 : 1);

function collect(errors: Iterable<ValueError>, root: string): string[] {
  const list = [...errors];
  // A missing property is one problem: TypeBox also checks its (undefined) value.
  const missing = list.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path);
  const kept = list.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty || !missing.some((p) => e.path === p || e.path.startsWith(`${p}/`)));
  const ordered: ValueError[] = [];
  for (const e of kept) {
    let at = ordered.length;
    while (at > 0 && ordered[at - 1]!.path === e.path && ordered[at - 1]!.schema === e.schema && rank(ordered[at - 1]!) > rank(e)) at--;
    ordered.splice(at, 0, e);
  }
  return ordered.flatMap((e) => message(e, root));
}

/** The problems of `value` against `schema`, one message each; empty when the value is valid. */
export function check(schema: TSchema, value: unknown, root = '$'): string[] {
  return collect(Value.Errors(schema, value), root);
}

/** An object with exactly these properties (Type.Optional for the optional ones): a typo in a writer should not pass silently. */
export const Strict = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** `inner` or null (null first in the messages' eyes: a non-null value gets `inner`'s problems). */
export const Nullable = <T extends TSchema>(inner: T) => Type.Union([inner, Type.Null()]);

/** A finite number (TypeBox refuses NaN and Infinity) that is an integer; the bounds go in `rule`. */
export const Int = (rule: { minimum?: number; maximum?: number } = {}) => Type.Number({ ...rule, multipleOf: 1 });

/** A UTC time as Date.toISOString() writes it. */
export const IsoTimestamp = Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z$' });
