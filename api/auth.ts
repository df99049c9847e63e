// Bearer-token authentication for the API: every request that reaches this middleware must carry
// `Authorization: Bearer <token>`, one of the named tokens of meridian.yaml (`api.tokens`: the
// request's identity is the token's name) or MERIDIAN_API_TOKEN (the anonymous admin token:
// identity 'admin'). Tokens are compared in constant time, each of them on every request.
// Routes read the identity with requestIdentity; a request body never sets it.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { HttpError } from './errors.js';

/** The identity of the anonymous MERIDIAN_API_TOKEN. */
export const ADMIN_IDENTITY = 'admin';

/** Comparing fixed-length digests keeps the comparison constant-time whatever the token lengths. */
const digest = (token: string) => createHash('sha256').update(token).digest();

/** Who presents a token: its identity, or undefined for an unknown one. */
export type TokenIdentifier = (presented: string) => string | undefined;

/**
 * The identifier of `adminToken` (may be empty when named tokens exist) and the named tokens,
 * name → token, shared by the bearer auth and the dashboard's cookie (api/dashboard/session.ts).
 */
export function tokenIdentifier(adminToken: string, namedTokens: Readonly<Record<string, string>> = {}): TokenIdentifier {
  const known = [...(adminToken !== '' ? [[ADMIN_IDENTITY, adminToken] as const] : []), ...Object.entries(namedTokens)].map(([identity, token]) => {
    if (token === '') throw new Error(`[api] the API token of "${identity}" must not be empty`);
    return { identity, digest: digest(token) };
  });
  if (known.length === 0) throw new Error('[api] the API token must not be empty (MERIDIAN_API_TOKEN or a named token of api.tokens)');
  return (presented) => {
    const given = digest(presented);
    let identity: string | undefined;
    for (const token of known) if (timingSafeEqual(given, token.digest) && identity === undefined) identity = token.identity;
    return identity;
  };
}

/** By an identifier, or by `adminToken` and the named tokens as tokenIdentifier takes them. */
export function bearerAuth(tokens: TokenIdentifier | string, namedTokens: Readonly<Record<string, string>> = {}): MiddlewareHandler {
  const identify = typeof tokens === 'string' ? tokenIdentifier(tokens, namedTokens) : tokens;
  return async function requireBearerToken(c, next) {
    const presented = /^Bearer +(\S+) *$/i.exec(c.req.header('Authorization') ?? '')?.[1];
    if (presented === undefined) throw new HttpError(401, 'unauthorized', 'a bearer token is required (Authorization: Bearer <token>)');
    const identity = identify(presented);
    if (identity === undefined) throw new HttpError(401, 'unauthorized', 'the bearer token is not valid');
    c.set('identity', identity);
    await next();
  };
}

/** Who made the request: the name of its token ('admin' for MERIDIAN_API_TOKEN). */
export function requestIdentity(c: Context): string {
  const identity: unknown = c.get('identity');
  if (typeof identity !== 'string') throw new Error('[api] requestIdentity outside the authenticated routes');
  return identity;
}
