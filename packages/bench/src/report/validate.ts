import { Type, type NumberOptions, type TProperties, type TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

/**
 * Result files and scenario files are described with TypeBox schemas (which
 * are JSON Schema, so they are also published under packages/bench/schemas/).
 * This module turns TypeBox's errors into one short message per problem, each
 * naming where it is ($.cells[3].summary), and gives the few schema shapes the
 * writers use that TypeBox spells at length.
 */

/** One problem of a value against a schema. */
export interface Problem {
  /** Where and what: '$.cells[3].summary: missing'. */
  message: string;
  /** The value has the right type but lies outside the schema's bounds (a caller that throws makes it a RangeError, the rest TypeErrors). */
  outOfBounds: boolean;
}

/** Errors about a value's bounds, not its type. */
const BOUNDS = new Set([ValueErrorType.NumberMinimum, ValueErrorType.NumberMaximum, ValueErrorType.NumberExclusiveMinimum, ValueErrorType.NumberExclusiveMaximum, ValueErrorType.ArrayUniqueItems]);

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

/** The constants of a union that lists constants ('a' | 'b'); null for any other union (a nullable, an any-of). */
function constantsOf(schema: TSchema): unknown[] | null {
  const variants = ((schema as Record<string, unknown>).anyOf as Record<string, unknown>[] | undefined) ?? [];
  return variants.length > 0 && variants.every((v) => 'const' in v) ? variants.map((v) => v.const) : null;
}

function problem(e: ValueError, root: string): Problem[] {
  // A nullable or an any-of: the problems of the first alternative (the main one, written first).
  if (e.type === ValueErrorType.Union && constantsOf(e.schema) === null && e.errors[0]) return collect(e.errors[0], root);
  return [{ message: message(e, root), outOfBounds: BOUNDS.has(e.type) }];
}

function message(e: ValueError, root: string): string {
  const at = jsonPath(root, e.path);
  const s = e.schema as Record<string, unknown>;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${at}: missing`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${at}: unknown property`;
    case ValueErrorType.Number:
      return `${at}: expected a finite number, got ${show(e.value)}`;
    case ValueErrorType.NumberMultipleOf:
      return `${at}: expected an integer, got ${show(e.value)}`;
    case ValueErrorType.NumberMinimum:
      return `${at}: expected >= ${String(s.minimum)}, got ${show(e.value)}`;
    case ValueErrorType.NumberMaximum:
      return `${at}: expected <= ${String(s.maximum)}, got ${show(e.value)}`;
    case ValueErrorType.NumberExclusiveMinimum:
      return `${at}: expected > ${String(s.exclusiveMinimum)}, got ${show(e.value)}`;
    case ValueErrorType.NumberExclusiveMaximum:
      return `${at}: expected < ${String(s.exclusiveMaximum)}, got ${show(e.value)}`;
    case ValueErrorType.String:
      return `${at}: expected a string, got ${show(e.value)}`;
    case ValueErrorType.StringMinLength:
      return `${at}: expected a non-empty string`;
    case ValueErrorType.StringPattern:
      return `${at}: ${show(e.value)} does not match /${String(s.pattern)}/`;
    case ValueErrorType.Boolean:
      return `${at}: expected a boolean, got ${show(e.value)}`;
    case ValueErrorType.Array:
      return `${at}: expected an array, got ${show(e.value)}`;
    case ValueErrorType.ArrayMinItems:
      return `${at}: expected at least ${String(s.minItems)} items, got ${(e.value as unknown[]).length}`;
    case ValueErrorType.ArrayUniqueItems:
      return `${at}: lists an item twice`;
    case ValueErrorType.Object:
      return `${at}: expected an object, got ${show(e.value)}`;
    case ValueErrorType.Literal:
      return `${at}: expected ${show(s.const)}, got ${show(e.value)}`;
    case ValueErrorType.Null:
      return `${at}: expected null, got ${show(e.value)}`;
    case ValueErrorType.Union: {
      const constants = constantsOf(e.schema);
      return constants ? `${at}: expected one of ${constants.map(show).join(', ')}, got ${show(e.value)}` : `${at}: ${e.message}`;
    }
    default:
      return `${at}: ${e.message}`;
  }
}

/** An integer check reads before the bounds of the same number (TypeBox yields it last). */
const rank = (e: ValueError): number => (e.type === ValueErrorType.NumberMultipleOf ? 0 : 1);

function collect(errors: Iterable<ValueError>, root: string): Problem[] {
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
  return ordered.flatMap((e) => problem(e, root));
}

/** The problems of `value` against `schema`; empty when the value is valid. `root` names the value in the messages. */
export function problems(schema: TSchema, value: unknown, root = '$'): Problem[] {
  return collect(Value.Errors(schema, value), root);
}

/** The problems of `value` against `schema`, one message each; empty when the value is valid. */
export function check(schema: TSchema, value: unknown, root = '$'): string[] {
  return problems(schema, value, root).map((p) => p.message);
}

/** An object with exactly these properties (Type.Optional for the optional ones): a typo in a writer should not pass silently. */
export const Strict = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false });

/** `inner` or null (null first in the messages' eyes: a non-null value gets `inner`'s problems). */
export const Nullable = <T extends TSchema>(inner: T) => Type.Union([inner, Type.Null()]);

/** A finite number (TypeBox refuses NaN and Infinity) that is an integer; the bounds (and a default, a description) go in `rule`. */
export const Int = (rule: NumberOptions = {}) => Type.Number({ ...rule, multipleOf: 1 });

/** A UTC time as Date.toISOString() writes it. */
export const IsoTimestamp = Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z$' });
