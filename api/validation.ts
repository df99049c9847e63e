// Request validation at the route: zValidator with the API's schemas, where a failure becomes one
// 400 invalid_request whose message names each offending field (`path: must be an absolute path`).

import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import { z } from 'zod';
import { HttpError } from './errors.js';

function fieldName(path: PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('');
}

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${fieldName([...issue.path, key])}: is not a known field`)
        : [`${fieldName(issue.path) || 'body'}: ${issue.message}`],
    )
    .join('; ');
}

export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(target: Target, schema: Schema) {
  return zValidator(target, schema, (result, c) => {
    if (result.success) return;
    const notJson = target === 'json' && !/^application\/([\w.-]+\+)?json\b/i.test(c.req.header('Content-Type') ?? '');
    const message = notJson ? 'body: must be JSON (Content-Type: application/json)' : describeIssues(result.error.issues);
    throw new HttpError(400, 'invalid_request', message, { cause: result.error });
  });
}
