// The Schedules `meridian apply` made, over HTTP, through the same module as `meridian schedule`
// (schedules/inspect.ts): GET /v1/schedules lists them, GET /v1/schedules/:name describes one,
// POST /v1/schedules/:name/trigger|pause|resume operate it (pause takes an optional { note }).
// Other Schedules of the namespace are neither listed nor touched; an unknown name is 404.

import { Hono } from 'hono';
import type { ApiDeps } from '../app.js';
import { describeSchedule, listSchedules, pauseSchedule, resumeSchedule, triggerSchedule } from '../../schedules/inspect.js';
import { PauseRequestSchema, ScheduleParamSchema } from '../schemas.js';
import { validate } from '../validation.js';

const named = validate('param', ScheduleParamSchema);

export const scheduleRoutes = (deps: ApiDeps) =>
  new Hono()
    .get('/', async (c) => c.json({ schedules: await listSchedules(deps.client) }))
    .get('/:name', named, async (c) => c.json(await describeSchedule(deps.client, c.req.valid('param').name)))
    .post('/:name/trigger', named, async (c) => c.json(await triggerSchedule(deps.client, c.req.valid('param').name)))
    .post('/:name/pause', named, validate('json', PauseRequestSchema), async (c) =>
      c.json(await pauseSchedule(deps.client, c.req.valid('param').name, c.req.valid('json').note)),
    )
    .post('/:name/resume', named, async (c) => c.json(await resumeSchedule(deps.client, c.req.valid('param').name)));
