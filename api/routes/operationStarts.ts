// POST routes that start operations, one per operation to which the catalog (workflows/catalog.ts)
// gives an API path (POST /v1/backups, /v1/restores, /v1/verifications, /v1/forgets…): the body
// is validated with the operation's schema (api/schemas.ts), the repository must be one the
// server is configured for (else 403, worker/authority.ts), a backup of a source of the server's
// meridian.yaml goes to the source's host (config/sourceRouting.ts), and the answer is 202
// Accepted with the workflow id (and the data task queue, when routed), and a Location header
// saying where to poll its state.

import { Context, Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { routedToSource } from '../../config/sourceRouting.js';
import { startOperation } from '../operations.js';
import { requestSchemaOf } from '../schemas.js';
import { validate } from '../validation.js';
import { Operation, OperationInput, OPERATION_NAMES, OPERATIONS } from '../../workflows/catalog.js';

export function operationStartRoutes(deps: ApiDeps): Hono {
  const app = new Hono();
  for (const operation of OPERATION_NAMES) {
    const route = OPERATIONS[operation].api;
    if (!route) continue;
    app.post(route.path, validate('json', requestSchemaOf(operation)), async (c) => acceptOperation(c, deps, operation, c.req.valid('json')));
  }
  return app;
}

/** Admits the request's repository, starts the operation and answers 202 with its workflow id. */
export async function acceptOperation<O extends Operation>(c: Context, deps: ApiDeps, operation: O, input: OperationInput<O>): Promise<Response> {
  await deps.authority.admit({ repo: input.repo });
  const routed = operation === 'backup' ? (routedToSource(input as OperationInput<'backup'>, deps.config) as OperationInput<O>) : input;
  const { workflowId } = await startOperation(deps.client, operation, routed, deps.taskQueue);
  c.header('Location', `/v1/operations/${encodeURIComponent(workflowId)}`);
  const { dataTaskQueue } = routed as { dataTaskQueue?: string };
  return c.json({ workflowId, ...(dataTaskQueue !== undefined ? { dataTaskQueue } : {}) }, 202);
}
