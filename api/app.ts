// The HTTP API: a Hono app that starts and queries operations through @temporalio/client, shows
// and operates the Schedules `meridian apply` made, shows and drives replica sets, failover
// monitors and runbook executions, shows the SLAs, lists snapshots and ransomware alerts (and
// acknowledges these), for the repositories the server's authority knows (others are 403 before
// any storage is contacted). GET /healthz and GET
// /v1/openapi.json are open, and so is GET /metrics when the server mounts it here (it has its
// own optional token, metrics/endpoint.ts); the web dashboard (/, /login and its pages:
// api/dashboard/) signs in with a cookie; every other route needs a bearer token
// (MERIDIAN_API_TOKEN or a named token of meridian.yaml, whose name is the request's identity).

import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import type { SourceEntries } from '../config/sourceRouting.js';
import type { FailoverNames } from '../control/failover.js';
import type { ReplicationConfig } from '../replication/status.js';
import type { RunbookSources } from '../runbooks/catalog.js';
import type { Authority } from '../worker/authority.js';
import { bearerAuth, tokenIdentifier } from './auth.js';
import { addDashboardRoutes } from './dashboard/routes.js';
import type { DashboardConfig } from './dashboard/fleet.js';
import { limitBodySize } from './bodySize.js';
import { handleError, handleNotFound } from './errors.js';
import { answerWrongMethods } from './methods.js';
import { openApiDocument } from './openapi.js';
import { operationStartRoutes } from './routes/operationStarts.js';
import { operationRoutes } from './routes/operations.js';
import { failoverRoutes } from './routes/failover.js';
import { replicationRoutes } from './routes/replication.js';
import { runbookRoutes } from './routes/runbooks.js';
import { scheduleRoutes } from './routes/schedules.js';
import { slaRoutes } from './routes/slas.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { alertRoutes } from './routes/alerts.js';

export interface ApiDeps {
  client: Client;
  /** The server's worker configuration: which repositories requests may name, and their passphrases. */
  authority: Authority;
  /** MERIDIAN_API_TOKEN, the anonymous admin token (identity 'admin'); may be empty only when `tokens` has one. */
  token: string;
  /** The named tokens of meridian.yaml's api.tokens, name → token (api/tokens.ts): the name is the request's identity. */
  tokens?: Readonly<Record<string, string>>;
  /** Task queue the operations' workflows run on; defaults to DEFAULT_TASK_QUEUE. */
  taskQueue?: string;
  /** The replica sets of the server's meridian.yaml (and its repositories); none when absent. */
  replication?: ReplicationConfig;
  /** The server's meridian.yaml: the names of failover entries (their messages list them), its runbooks, and its sources (a backup of one goes to its host). */
  config?: FailoverNames & RunbookSources & DashboardConfig & SourceEntries;
  /** GET /metrics (metrics/endpoint.ts), when served on the API's listener. */
  metrics?: Hono;
}

export function createApiApp(deps: ApiDeps): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use('*', limitBodySize());

  // Registered before the auth middleware, so they answer without a token.
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/v1/openapi.json', (c) => c.json(openApiDocument));
  if (deps.metrics) app.route('/', deps.metrics);

  // The dashboard's pages sign in with a cookie of their own (api/dashboard/session.ts).
  const identify = tokenIdentifier(deps.token, deps.tokens);
  addDashboardRoutes(app, { client: deps.client, identify, ...(deps.config ? { config: deps.config } : {}) });

  app.use('*', bearerAuth(identify));
  app.route('/', operationStartRoutes(deps));
  app.route('/v1/operations', operationRoutes(deps));
  app.route('/v1/snapshots', snapshotRoutes(deps));
  app.route('/v1/alerts', alertRoutes(deps));
  app.route('/v1/schedules', scheduleRoutes(deps));
  app.route('/v1/replication', replicationRoutes(deps));
  app.route('/v1/failover', failoverRoutes(deps));
  app.route('/v1/runbooks', runbookRoutes(deps));
  app.route('/v1/slas', slaRoutes(deps));
  answerWrongMethods(app);
  return app;
}
