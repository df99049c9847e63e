// GET /v1/operations/:workflowId: the state of an operation (status, progress, result or error).
// Workflow ids contain `/` and `:`; they may be sent percent-encoded or as they are.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { describeOperation } from '../operations.js';

export const operationRoutes = (deps: ApiDeps) =>
  new Hono().get('/:workflowId{.+}', async (c) => c.json(await describeOperation(deps.client, c.req.param('workflowId'))));
