// The SLAs over HTTP, through the same module as `meridian sla` (control/slas.ts): GET /v1/slas
// (every SLA, source and repository as the SLA monitor evaluated them last) and GET
// /v1/slas/:name/report?since=T&format=markdown (one SLA's status and its violations since T).
// No monitor running, or no SLA of that name: 404; no worker answering: 503.

import { Hono } from 'hono';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls.js';
import { slaReportMarkdown } from '../../control/slaMarkdown.js';
import { slaReport, slaView } from '../../control/slas.js';
import type { ApiDeps } from '../app.js';
import { SlaParamSchema, SlaReportQuerySchema } from '../schemas.js';
import { validate } from '../validation.js';

export function slaRoutes(deps: ApiDeps): Hono {
  const calls = sdkWorkflowCalls(deps.client);
  return new Hono()
    .get('/', async (c) => c.json(await slaView(calls)))
    .get('/:name/report', validate('param', SlaParamSchema), validate('query', SlaReportQuerySchema), async (c) => {
      const { since, format } = c.req.valid('query');
      const now = new Date();
      const report = await slaReport(calls, c.req.valid('param').name, since, now);
      if (format !== 'markdown') return c.json(report);
      return c.body(slaReportMarkdown(report, now), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
    });
}
