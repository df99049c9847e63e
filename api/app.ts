// The HTTP API: a Hono app that starts and queries operations through @temporalio/client, shows
// and operates the Schedules `meridian apply` made, shows and drives replica sets, and lists snapshots, for the repositories the
// server's authority knows (others are 403 before any storage is contacted). GET /healthz and GET
// /v1/openapi.json are open; every other route needs the bearer token.

import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { ReplicationConfig } from '../replication/status.js';
import type { Authority } from '../worker/authority.js';
import { bearerAuth } from './auth.js';
import { limitBodySize } from './bodySize.js';
import { handleError, handleNotFound } from './errors.js';
import { answerWrongMethods } from './methods.js';
import { openApiDocument } from './openapi.js';
import { operationStartRoutes } from './routes/operationStarts.js';
import { operationRoutes } from './routes/operations.js';
import { replicationRoutes } from './routes/replication.js';
import { scheduleRoutes } from './routes/schedules.js';
import { snapshotRoutes } from './routes/snapshots.js';

export interface ApiDeps {
  client: Client;
  /** The server's worker configuration: which repositories requests may name, and their passphrases. */
  authority: Authority;
  /** MERIDIAN_API_TOKEN; must not be empty. */
  token: string;
  /** Task queue the operations' workflows run on; defaults to DEFAULT_TASK_QUEUE. */
  taskQueue?: string;
  /** The replica sets of the server's meridian.yaml (and its repositories); none when absent. */
  replication?: ReplicationConfig;
}

export function createApiApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use('*', limitBodySize());

  // Registered before the auth middleware, so they answer without a token.
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/v1/openapi.json', (c) => c.json(openApiDocument));

  app.use('*', bearerAuth(deps.token));
  app.route('/', operationStartRoutes(deps));
  app.route('/v1/operations', operationRoutes(deps));
  app.route('/v1/snapshots', snapshotRoutes(deps));
  app.route('/v1/schedules', scheduleRoutes(deps));
  app.route('/v1/replication', replicationRoutes(deps));
  answerWrongMethods(app);
  return app;
}
