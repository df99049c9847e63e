// The failover monitors over HTTP, through the same module as `meridian failover`
// (control/failover.ts): GET /v1/failover/:name (the monitor's state), GET
// /v1/failover/:name/events, POST /v1/failover/:name/trigger {to?, reason?} and POST
// /v1/failover/:name/failback {reason?}, which answer the event id once the switch is done. Who
// asks is the request's token name; a refusal by the monitor's validator is 409, an unknown name 404.

import { Hono } from 'hono';
import { failoverEvents, failoverStatus, triggerFailback, triggerFailover } from '../../control/failover.js';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls.js';
import type { ApiDeps } from '../app.js';
import { requestIdentity } from '../auth.js';
import { FailbackRequestSchema, FailoverParamSchema, FailoverTriggerRequestSchema } from '../schemas.js';
import { validate } from '../validation.js';

const named = validate('param', FailoverParamSchema);

export function failoverRoutes(deps: ApiDeps): Hono {
  const { config } = deps;
  const calls = sdkWorkflowCalls(deps.client);
  return new Hono()
    .get('/:name', named, async (c) => c.json(await failoverStatus(calls, config, c.req.valid('param').name)))
    .get('/:name/events', named, async (c) => {
      const { name } = c.req.valid('param');
      return c.json({ name, events: await failoverEvents(calls, config, name) });
    })
    .post('/:name/trigger', named, validate('json', FailoverTriggerRequestSchema), async (c) =>
      c.json(await triggerFailover(calls, config, c.req.valid('param').name, c.req.valid('json'), requestIdentity(c))),
    )
    .post('/:name/failback', named, validate('json', FailbackRequestSchema), async (c) =>
      c.json(await triggerFailback(calls, config, c.req.valid('param').name, c.req.valid('json'), requestIdentity(c))),
    );
}
