// The replica sets of the server's meridian.yaml over HTTP, through the same module as `meridian
// replication` (replication/status.ts and control.ts): GET /v1/replication lists every set's
// status, GET /v1/replication/:name one set's; POST /v1/replication/:name/runs asks for a pass
// and POST /v1/replication/:name/verifications starts a comparison, both 202 with the workflow id.
// An unknown set is 404.

import { Context, Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls.js';
import { requestPass, startVerify } from '../../replication/control.js';
import { getReplicationStatus, type ReplicationConfig } from '../../replication/status.js';
import { DEFAULT_TASK_QUEUE } from '../../workflows/shared.js';
import { ReplicationParamSchema, ReplicationRunRequestSchema, ReplicationVerificationRequestSchema } from '../schemas.js';
import { validate } from '../validation.js';

const named = validate('param', ReplicationParamSchema);
const NO_SETS: ReplicationConfig = { repositories: {}, replication: {} };

export function replicationRoutes(deps: ApiDeps): Hono {
  const config = deps.replication ?? NO_SETS;
  const taskQueue = deps.taskQueue ?? DEFAULT_TASK_QUEUE;
  const calls = sdkWorkflowCalls(deps.client);
  return new Hono()
    .get('/', async (c) => c.json({ sets: await getReplicationStatus(calls, config) }))
    .get('/:name', named, async (c) => c.json((await getReplicationStatus(calls, config, c.req.valid('param').name))[0]!))
    .post('/:name/runs', named, validate('json', ReplicationRunRequestSchema), async (c) =>
      accepted(c, await requestPass(calls, config, c.req.valid('param').name, c.req.valid('json').full === true, taskQueue)),
    )
    .post('/:name/verifications', named, validate('json', ReplicationVerificationRequestSchema), async (c) =>
      accepted(c, await startVerify(calls, config, c.req.valid('param').name, c.req.valid('json').replica, taskQueue)),
    );
}

/** 202 with the workflow id, and where to poll it. */
function accepted(c: Context, workflowId: string): Response {
  c.header('Location', `/v1/operations/${encodeURIComponent(workflowId)}`);
  return c.json({ workflowId }, 202);
}
