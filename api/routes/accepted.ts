// Starting an operation's workflow for a POST route: 202 Accepted with the workflow id, and a
// Location header saying where to poll its state.

import type { Context } from 'hono';
import type { ApiDeps } from '../app.js';
import { OperationInput, startOperation } from '../operations.js';
import type { Operation } from '../../workflows/shared.js';

export async function startAccepted<O extends Operation>(c: Context, deps: ApiDeps, operation: O, input: OperationInput[O]) {
  const { workflowId } = await startOperation(deps.client, operation, input, deps.taskQueue);
  c.header('Location', `/v1/operations/${encodeURIComponent(workflowId)}`);
  return c.json({ workflowId }, 202);
}
