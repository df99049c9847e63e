// Runbooks and their executions over HTTP, through the same module as `meridian runbook`
// (control/runbooks.ts): GET /v1/runbooks, GET /v1/runbooks/:name, POST
// /v1/runbooks/:name/executions {params, dryRun} (202 with the workflow id), GET
// /v1/runbooks/executions/:id (every step's state), POST …/:id/approve and …/:id/reject
// {step, note?} (as the request's token name; a refusal by the workflow's validator is 409) and
// POST …/:id/cancel. An unknown runbook or execution is 404.

import { Hono } from 'hono';
import { cancelExecution, decideStep, executionStatus, runbookList, runbookShow, startRunbook } from '../../control/runbooks.js';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls.js';
import { DEFAULT_TASK_QUEUE } from '../../workflows/shared.js';
import type { ApiDeps } from '../app.js';
import { requestIdentity } from '../auth.js';
import { ExecutionParamSchema, RunbookExecutionRequestSchema, RunbookParamSchema, StepDecisionRequestSchema } from '../schemas.js';
import { validate } from '../validation.js';

const named = validate('param', RunbookParamSchema);
const execution = validate('param', ExecutionParamSchema);
const decision = validate('json', StepDecisionRequestSchema);

export function runbookRoutes(deps: ApiDeps): Hono {
  const { client, config } = deps;
  const taskQueue = deps.taskQueue ?? DEFAULT_TASK_QUEUE;
  const calls = sdkWorkflowCalls(client);
  return new Hono()
    .get('/', (c) => c.json({ runbooks: runbookList(config) }))
    .get('/executions/:id', execution, async (c) => c.json(await executionStatus(calls, c.req.valid('param').id)))
    .post('/executions/:id/approve', execution, decision, async (c) => c.json(await decideStep(calls, c.req.valid('param').id, 'approve', c.req.valid('json'), requestIdentity(c))))
    .post('/executions/:id/reject', execution, decision, async (c) => c.json(await decideStep(calls, c.req.valid('param').id, 'reject', c.req.valid('json'), requestIdentity(c))))
    .post('/executions/:id/cancel', execution, async (c) => c.json(await cancelExecution(calls, c.req.valid('param').id)))
    .get('/:name', named, (c) => c.json(runbookShow(config, c.req.valid('param').name)))
    .post('/:name/executions', named, validate('json', RunbookExecutionRequestSchema), async (c) => {
      const workflowId = await startRunbook(calls, config, c.req.valid('param').name, c.req.valid('json'), requestIdentity(c), taskQueue);
      c.header('Location', `/v1/runbooks/executions/${encodeURIComponent(workflowId)}`);
      return c.json({ workflowId }, 202);
    });
}
