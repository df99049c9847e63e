// The dashboard's login: the same tokens as the API (MERIDIAN_API_TOKEN, api.tokens), presented
// once in the login form and then kept in an HttpOnly, SameSite=Strict cookie, so no script can
// read it and no other site's page sends it. Every page answers with a Content-Security-Policy
// that allows no script at all and no request to another origin; a POST (sign-in, sign-out, a
// decision) must also come from the dashboard's own origin (Origin header), whatever the cookie.
// Behind a reverse proxy the request's own URL is not what the browser saw: api.publicUrl then
// names the origin a POST must carry, and the cookie is Secure when that URL is https.

import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { TokenIdentifier } from '../auth.js';

export const SESSION_COOKIE = 'meridian_session';
/** How long a sign-in lasts. */
const SESSION_SECONDS = 12 * 60 * 60;

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Where browsers reach the dashboard: api.publicUrl when set, else the URL the request came to. */
function publicOrigin(c: Context, publicUrl: string | undefined): URL {
  return new URL(publicUrl ?? c.req.url);
}

/** The security headers on every dashboard answer; a POST from another origin (or none named) is 403. */
export function dashboardGuard(publicUrl?: string): MiddlewareHandler {
  return async function guardDashboard(c, next) {
    if (c.req.method === 'POST' && c.req.header('Origin') !== publicOrigin(c, publicUrl).origin) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
      return c.text('a dashboard form must be sent from the dashboard itself (Origin)', 403);
    }
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  };
}

/** Pages need a signed-in session: the identity is the token's name; without one, back to the login form. */
export function requireSession(identify: TokenIdentifier): MiddlewareHandler {
  return async function requireDashboardSession(c, next) {
    const token = getCookie(c, SESSION_COOKIE);
    const identity = token !== undefined && token !== '' ? identify(token) : undefined;
    if (identity === undefined) return c.redirect('/login', 303);
    c.set('identity', identity);
    await next();
  };
}

export function startSession(c: Context, token: string, publicUrl?: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: publicOrigin(c, publicUrl).protocol === 'https:',
    path: '/',
    maxAge: SESSION_SECONDS,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}
