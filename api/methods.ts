// A request for a known path with a method that path does not serve answers 405 Method Not
// Allowed with an `Allow` header listing the methods it does serve, rather than 404: the methods
// come from the app's own routes, so the answer cannot drift from what is registered.

import type { Hono } from 'hono';
import { HttpError } from './errors.js';

/** Registers, after every other route, a 405 answer for each registered path and the methods it lacks. */
export function answerWrongMethods(app: Hono): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const { method, path } of app.routes) {
    if (method === 'ALL') continue; // middleware
    const methods = methodsByPath.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD'); // Hono answers HEAD with the GET route
    methodsByPath.set(path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods].sort().join(', ');
    app.all(path, (c) => {
      throw new HttpError(405, 'method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`, { headers: { Allow: allow } });
    });
  }
}
