// Checks of parsed JSON written out by hand, for the files every command reads before anything
// else: the config envelope, the repository config, key files and snapshots. zod took about 90 ms
// to load on Node.js 20, a third of what `meridian snapshots` spent; with these, a command that
// only reads a repository does not load it. A check answers with the first problem it finds
// ("tree must be a string") or undefined; fields a shape does not name are left on the value.

import type { JsonShape } from './repository.js';

/** The first problem of a value, or undefined when it has the shape. */
export type Check = (value: unknown) => string | undefined;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const string: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');

export const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');

/** A safe integer within [min, max]. */
export function integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check {
  return (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : `must be a whole number from ${min} to ${max}`);
}

/** One of these values exactly. */
export function oneOf(...values: readonly (string | number | boolean)[]): Check {
  return (v) => (values.includes(v as string) ? undefined : `must be ${values.map((x) => JSON.stringify(x)).join(' or ')}`);
}

/** A string matching `pattern` (anchored by the caller), described as `what`. */
export function matching(pattern: RegExp, what: string): Check {
  return (v) => (typeof v === 'string' && pattern.test(v) ? undefined : `must be ${what}`);
}

/** A base64 string (the padded standard alphabet). */
export const base64 = matching(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'base64');

export function nullable(check: Check): Check {
  return (v) => (v === null ? undefined : check(v));
}

/** A list of `item`s, at least `min` and at most `max` of them. */
export function listOf(item: Check, min = 0, max = Number.MAX_SAFE_INTEGER): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'must be a list';
    if (v.length < min || v.length > max) return `must hold ${min} to ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i]);
      if (problem !== undefined) return `[${i}] ${problem}`;
    }
    return undefined;
  };
}

/** An object with these fields, and these others when present. */
export function object(required: Readonly<Record<string, Check>>, optional: Readonly<Record<string, Check>> = {}): Check {
  const requiredFields = Object.entries(required);
  const optionalFields = Object.entries(optional);
  return (v) => {
    if (!isObject(v)) return 'must be an object';
    for (const [key, check] of requiredFields) {
      const problem = check(v[key]);
      if (problem !== undefined) return `${key} ${problem}`;
    }
    for (const [key, check] of optionalFields) {
      const problem = v[key] === undefined ? undefined : check(v[key]);
      if (problem !== undefined) return `${key} ${problem}`;
    }
    return undefined;
  };
}

/** A check as what Repository.loadJsonFile takes (a zod schema's safeParse, without zod). */
export function jsonShape<T>(check: Check): JsonShape<T> {
  return {
    safeParse(value) {
      const problem = check(value);
      return problem === undefined ? { success: true, data: value as T } : { success: false, error: { issues: [{ message: problem }] } };
    },
  };
}
