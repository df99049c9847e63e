// Bearer-token authentication for the API: every request that reaches this middleware must carry
// `Authorization: Bearer <MERIDIAN_API_TOKEN>`; tokens are compared in constant time.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './errors.js';

/** Comparing fixed-length digests keeps the comparison constant-time whatever the token lengths. */
const digest = (token: string) => createHash('sha256').update(token).digest();

export function bearerAuth(token: string): MiddlewareHandler {
  if (token === '') throw new Error('[api] the API token must not be empty');
  const expected = digest(token);
  return async function requireBearerToken(c, next) {
    const presented = /^Bearer +(\S+) *$/i.exec(c.req.header('Authorization') ?? '')?.[1];
    if (presented === undefined) throw new HttpError(401, 'unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    if (!timingSafeEqual(digest(presented), expected)) throw new HttpError(401, 'unauthorized', 'the bearer token is not valid');
    await next();
  };
}
