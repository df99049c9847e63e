// The SLA routes' part of the OpenAPI document (api/openapi.ts spreads it in): GET /v1/slas and
// GET /v1/slas/{name}/report, with the shapes of workflows/slaDefs.ts written out.

import { COMPLIANCE_WINDOWS, VIOLATION_KINDS } from '../workflows/slaDefs.js';
import { errors, isoTime, json, jsonSchema, ref } from './openapiParts.js';
import { SlaParamSchema, SlaReportQuerySchema } from './schemas.js';

const seconds = (description: string) => ({ type: 'number', description: `${description}, in seconds` });

export const slaPaths = {
  '/v1/slas': {
    get: {
      summary:
        'Every SLA as the SLA monitor (sla-monitor, started by meridian apply) evaluated it last: compliant or not, RPO and RTO against the targets, ' +
        'compliance per window, open violations; and every source and repository it observes (snapshot counts, sizes). Answered from the ' +
        "monitor's state: nothing lists storage. 404 when no monitor runs",
      responses: { '200': { description: 'The view', ...json(ref('SlaMonitorView')) }, ...errors(401, 404, 405, 500, 503) },
    },
  },
  '/v1/slas/{name}/report': {
    get: {
      summary: "One SLA's report: its status, its violations since `since` and each source's recent RPO; format=markdown renders it as a Markdown document. 404 when no monitor runs or it has no SLA of that name",
      parameters: [
        { name: 'name', in: 'path', required: true, schema: jsonSchema(SlaParamSchema.shape.name) },
        { name: 'since', in: 'query', required: false, schema: jsonSchema(SlaReportQuerySchema.shape.since) },
        { name: 'format', in: 'query', required: false, schema: jsonSchema(SlaReportQuerySchema.shape.format) },
      ],
      responses: {
        '200': { description: 'The report', content: { 'application/json': { schema: ref('SlaReport') }, 'text/markdown': { schema: { type: 'string' } } } },
        ...errors(400, 401, 404, 405, 500, 503),
      },
    },
  },
};

const violation = {
  type: 'object',
  required: ['id', 'sla', 'kind', 'subject', 'start', 'observedSeconds', 'targetSeconds'],
  properties: {
    id: { type: 'string' },
    sla: { type: 'string' },
    kind: { type: 'string', enum: [...VIOLATION_KINDS] },
    subject: { type: 'string', description: 'The source (rpo) or the SLA (rto, rto-untested)' },
    start: isoTime,
    end: { ...isoTime, description: 'Absent while open' },
    observedSeconds: seconds('The worst observed while open (-1: no good snapshot, or never tested)'),
    targetSeconds: seconds('The target'),
  },
};

const compliance = {
  type: 'object',
  description: 'Share of evaluation samples in compliance per window; null without samples',
  required: Object.keys(COMPLIANCE_WINDOWS),
  properties: Object.fromEntries(Object.keys(COMPLIANCE_WINDOWS).map((window) => [window, { type: ['number', 'null'], minimum: 0, maximum: 1 }])),
};

const rpoHistory = { type: 'object', description: 'Per source, [epoch seconds, RPO seconds] at the newest evaluations', additionalProperties: { type: 'array', items: { type: 'array', items: { type: 'number' } } } };

export const slaSchemas = {
  SlaViolation: violation,
  SlaStatus: {
    type: 'object',
    required: ['name', 'enabled', 'compliant', 'rpoTargetSeconds', 'rtoTargetSeconds', 'sources', 'compliance', 'openViolations'],
    properties: {
      name: { type: 'string' },
      enabled: { type: 'boolean' },
      compliant: { type: 'boolean', description: 'No open violation' },
      rpoTargetSeconds: seconds('rpoMinutes'),
      rtoTargetSeconds: seconds('rtoMinutes'),
      rpoSeconds: seconds('The worst RPO of its sources; absent when a source has no good snapshot'),
      rtoSeconds: seconds('The latest measured recovery (restore or recovery runbook); absent when untested'),
      rtoMeasuredAt: isoTime,
      sources: { type: 'array', items: { type: 'object', required: ['source'], properties: { source: { type: 'string' }, rpoSeconds: { type: 'number' }, lastGoodSnapshotAt: isoTime } } },
      compliance,
      openViolations: { type: 'array', items: ref('SlaViolation') },
    },
  },
  SlaMonitorView: {
    type: 'object',
    required: ['evaluations', 'intervalSeconds', 'slas', 'sources', 'repositories'],
    properties: {
      evaluatedAt: isoTime,
      evaluations: { type: 'integer' },
      intervalSeconds: { type: 'number' },
      lastError: { type: 'string', description: 'Why the last observation failed (the monitor keeps the previous one)' },
      slas: { type: 'array', items: ref('SlaStatus') },
      sources: {
        type: 'array',
        items: {
          type: 'object',
          required: ['source', 'repository', 'snapshotCount'],
          properties: {
            source: { type: 'string' },
            repository: { type: 'string' },
            lastGoodSnapshotAt: isoTime,
            snapshotCount: { type: 'integer' },
            lastBytesAdded: { type: 'integer' },
            lastRecovery: { type: 'object', required: ['kind', 'at', 'seconds', 'workflowId'], properties: { kind: { type: 'string', enum: ['restore', 'runbook'] }, at: isoTime, seconds: { type: 'number' }, workflowId: { type: 'string' } } },
          },
        },
      },
      repositories: { type: 'array', items: { type: 'object', required: ['repository', 'snapshotCount', 'sizeBytes'], properties: { repository: { type: 'string' }, snapshotCount: { type: 'integer' }, sizeBytes: { type: 'integer' }, openRansomwareAlerts: { type: 'integer' } } } },
    },
  },
  SlaReport: {
    type: 'object',
    required: ['status', 'since', 'violations', 'rpoHistory'],
    properties: { status: ref('SlaStatus'), since: isoTime, violations: { type: 'array', items: ref('SlaViolation') }, rpoHistory },
  },
};
