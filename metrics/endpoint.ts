// GET /metrics: the Prometheus text exposition of the Meridian registry, answered from memory.
// Open by default (like most exporters), or behind the bearer token of metrics.tokenFile: the API's
// tokens do not open it and it does not open the API. Mounted on the API's listener before its
// authentication, or served alone on metrics.bind.

import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { bearerAuth } from '../api/auth.js';
import { handleError } from '../api/errors.js';

export function metricsApp(registry: Registry, token?: string): Hono {
  const app = new Hono();
  app.onError(handleError);
  if (token !== undefined) app.use('/metrics', bearerAuth(token));
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  return app;
}
