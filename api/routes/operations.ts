// GET /v1/operations/:workflowId: the state of an operation (status, progress, result or error),
// at once or, with ?wait=N, as soon as it ends (at most N seconds later); POST
// /v1/operations/:workflowId/cancel asks a running one to cancel (409 once it has ended).
// Workflow ids contain `/` and `:`; they may be sent percent-encoded or as they are.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { awaitOperation, cancelOperation } from '../operations.js';
import { OperationWaitQuerySchema } from '../schemas.js';
import { validate } from '../validation.js';

export const operationRoutes = (deps: ApiDeps) =>
  new Hono()
    .post('/:workflowId{.+}/cancel', async (c) => c.json(await cancelOperation(deps.client, c.req.param('workflowId'))))
    .get('/:workflowId{.+}', validate('query', OperationWaitQuerySchema), async (c) => {
      const waitSeconds = Number(c.req.valid('query').wait ?? 0);
      return c.json(await awaitOperation(deps.client, c.req.param('workflowId'), waitSeconds * 1000));
    });
