// The OpenAPI 3.1 document of the HTTP API, served at GET /v1/openapi.json without
// authentication (it holds no data). Operation routes and names come from the operation catalog
// (workflows/catalog.ts) and request schemas from api/schemas.ts, so the document cannot drift
// from what the routes accept; responses are written out here.

import { z } from 'zod';
import { OPERATION_NAMES, OPERATIONS } from '../workflows/catalog.js';
import { MAX_BODY_TEXT } from './bodySize.js';
import { TRACKED_OPERATIONS } from './operations.js';
import {
  PauseRequestSchema,
  ReplicationParamSchema,
  ReplicationRunRequestSchema,
  ReplicationVerificationRequestSchema,
  requestSchemaOf,
  ScheduleParamSchema,
  SnapshotParamSchema,
  SnapshotsQuerySchema,
} from './schemas.js';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]));

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the message names the field (code invalid_request)',
  401: 'Missing or wrong bearer token (code unauthorized)',
  403: 'A repository the server is not configured for (code refused); no storage was contacted',
  404: 'No such workflow, snapshot, schedule, replica set or route (code not_found)',
  405: 'The path exists but does not serve this method (code method_not_allowed); the Allow header lists the methods it serves',
  409: 'Conflict (code conflict)',
  413: `The request body is larger than ${MAX_BODY_TEXT} (code payload_too_large)`,
  422: 'The repository cannot be used: wrong_passphrase, not_a_repository or integrity',
  500: 'Internal error (code internal_error); details only in the server log',
  502: 'Storage failed permanently (code storage_error)',
  503: 'Temporal or storage unreachable (temporal_unavailable, storage_unavailable); try again',
};

/** The catalog's operations that the API starts, with their route, summary and request schema name. */
const apiOperations = OPERATION_NAMES.flatMap((operation) => {
  const route = OPERATIONS[operation].api;
  return route ? [{ operation, ...route }] : [];
});

const startOperation = (summary: string, request: string) => ({
  post: {
    summary,
    requestBody: { required: true, ...json(ref(request)) },
    responses: {
      '202': {
        description: 'The workflow started; poll GET /v1/operations/{workflowId} (also in the Location header)',
        ...json(ref('Accepted')),
      },
      ...errors(400, 401, 403, 405, 409, 413, 500, 503),
    },
  },
});

const scheduleName = { name: 'name', in: 'path', required: true, schema: jsonSchema(ScheduleParamSchema.shape.name) };

/** POST /v1/schedules/{name}/ACTION: operates an owned Schedule and answers with what it did. */
const operateSchedule = (summary: string, result: string, request?: string) => ({
  post: {
    summary,
    parameters: [scheduleName],
    ...(request ? { requestBody: { required: false, ...json(ref(request)) } } : {}),
    responses: { '200': { description: 'Done', ...json(ref(result)) }, ...errors(400, 401, 404, 405, 413, 500, 503) },
  },
});

const setName = { name: 'name', in: 'path', required: true, schema: jsonSchema(ReplicationParamSchema.shape.name) };

/** POST /v1/replication/{name}/ACTION: asks the set's workflows for work; 202 with the workflow id. */
const askReplicaSet = (summary: string, request: string) => ({
  post: {
    summary,
    parameters: [setName],
    requestBody: { required: true, ...json(ref(request)) },
    responses: {
      '202': { description: 'Asked; the Location header says where to poll the workflow', ...json(ref('Accepted')) },
      ...errors(400, 401, 404, 405, 413, 500, 503),
    },
  },
});

const isoTime = { type: 'string', format: 'date-time' };
const behind = {
  type: 'object',
  required: ['snapshots', 'files', 'bytes'],
  properties: {
    snapshots: { type: 'integer' },
    files: { type: 'integer' },
    bytes: { type: 'integer' },
    oldestMissingAt: { ...isoTime, description: 'Commit time of the oldest snapshot the replica lacks' },
    newestMissingAt: { ...isoTime, description: 'Commit time of the newest snapshot the replica lacks' },
  },
};
const member = { name: { type: 'string' }, region: { type: 'string' }, location: { type: 'string', description: 'Where it is (s3://bucket/prefix), never credentials' } };
const scheduleSummaryProperties = {
  name: { type: 'string' },
  kind: { type: 'string', description: 'backup or scrub (the workflow type for a Schedule of another kind)' },
  spec: { type: 'string', description: 'The spec in words: a cron expression and its time zone (0 2 * * * Europe/Berlin), or an interval (every 1s)' },
  paused: { type: 'boolean' },
  note: { type: 'string', description: "The Schedule's note: why it is paused" },
  nextRun: { type: ['string', 'null'], format: 'date-time' },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Meridian Backup API',
    version: '1',
    description:
      'Starts and tracks backup, restore, verify, forget and prune operations (durable Temporal workflows; repairs started by the CLI are tracked too), lists snapshots and forgets one, ' +
      'shows, triggers, pauses and resumes the Temporal Schedules `meridian apply` made, and shows and drives the replica sets of meridian.yaml. ' +
      'Every route except GET /healthz and GET /v1/openapi.json needs `Authorization: Bearer $MERIDIAN_API_TOKEN`.',
  },
  security: [{ bearer: [] }],
  paths: {
    '/healthz': {
      get: { summary: 'Liveness', security: [], responses: { '200': { description: 'The server is up', ...json(ref('Health')) }, ...errors(405) } },
    },
    '/v1/openapi.json': {
      get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1 document', ...json({ type: 'object' }) }, ...errors(405) } },
    },
    ...Object.fromEntries(apiOperations.map(({ path, summary, request }) => [path, startOperation(summary, request)])),
    '/v1/operations/{workflowId}': {
      get: {
        summary: 'State of an operation',
        parameters: [{ name: 'workflowId', in: 'path', required: true, description: 'Percent-encoded workflow id', schema: { type: 'string' } }],
        responses: { '200': { description: 'The operation', ...json(ref('Operation')) }, ...errors(401, 404, 405, 500, 503) },
      },
    },
    '/v1/schedules': {
      get: {
        summary: 'The Schedules meridian apply made (ids meridian:NAME), by name; no other Schedule is listed',
        responses: { '200': { description: 'The schedules', ...json(ref('ScheduleList')) }, ...errors(401, 405, 500, 503) },
      },
    },
    '/v1/schedules/{name}': {
      get: {
        summary: 'One schedule: spec, overlap policy, catch-up window, next 5 runs, last runs with their outcomes, action counters',
        parameters: [scheduleName],
        responses: { '200': { description: 'The schedule', ...json(ref('Schedule')) }, ...errors(400, 401, 404, 405, 500, 503) },
      },
    },
    '/v1/schedules/{name}/trigger': operateSchedule(
      "Starts a run now with the Schedule's own overlap policy (never next to an open run under SKIP); says whether it started, was skipped or is queued",
      'TriggerResult',
    ),
    '/v1/schedules/{name}/pause': operateSchedule('Pauses the schedule, with a note', 'PauseResult', 'PauseRequest'),
    '/v1/schedules/{name}/resume': operateSchedule('Resumes the schedule', 'PauseResult'),
    '/v1/replication': {
      get: {
        summary: "Every replica set of the server's meridian.yaml: per replica whether it was reachable, what it lacks, its lag, last copy and error (from the sets' workflows; no storage access)",
        responses: { '200': { description: 'The sets', ...json(ref('ReplicationStatusList')) }, ...errors(401, 405, 500, 503) },
      },
    },
    '/v1/replication/{name}': {
      get: {
        summary: 'One replica set',
        parameters: [setName],
        responses: { '200': { description: 'The set', ...json(ref('ReplicationStatus')) }, ...errors(400, 401, 404, 405, 500, 503) },
      },
    },
    '/v1/replication/{name}/runs': askReplicaSet('Asks the set for a replication pass now (starting its workflow replication:NAME when none runs)', 'ReplicationRunRequest'),
    '/v1/replication/{name}/verifications': askReplicaSet(
      'Compares the files of every replica (or one) with the primary, in the workflow replication-verify:NAME:TIME; its output counts and lists the differences',
      'ReplicationVerificationRequest',
    ),
    '/v1/snapshots': {
      get: {
        summary: "A repository's snapshots, oldest first",
        parameters: [{ name: 'repo', in: 'query', required: true, schema: jsonSchema(SnapshotsQuerySchema.shape.repo) }],
        responses: { '200': { description: 'The snapshots', ...json(ref('SnapshotList')) }, ...errors(400, 401, 403, 404, 405, 422, 500, 502, 503) },
      },
    },
    '/v1/snapshots/{id}': {
      delete: {
        summary: 'Forget one snapshot (a forget workflow; its data goes at the next prune)',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: jsonSchema(SnapshotParamSchema.shape.id) },
          { name: 'repo', in: 'query', required: true, schema: jsonSchema(SnapshotsQuerySchema.shape.repo) },
        ],
        responses: {
          '202': { description: 'The forget started; poll GET /v1/operations/{workflowId} (also in the Location header)', ...json(ref('Accepted')) },
          ...errors(400, 401, 403, 405, 409, 500, 503),
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'MERIDIAN_API_TOKEN' } },
    responses: Object.fromEntries(
      Object.entries(ERROR_DESCRIPTIONS).map(([status, description]) => [
        `Error${status}`,
        { description, ...(status === '405' ? { headers: { Allow: { description: 'The methods the path serves', schema: { type: 'string' } } } } : {}), ...json(ref('Error')) },
      ]),
    ),
    schemas: {
      ...Object.fromEntries(apiOperations.map(({ operation, request }) => [request, jsonSchema(requestSchemaOf(operation))])),
      Health: { type: 'object', required: ['ok'], properties: { ok: { const: true } } },
      Accepted: { type: 'object', required: ['workflowId'], properties: { workflowId: { type: 'string' } } },
      Operation: {
        type: 'object',
        required: ['workflowId', 'operation', 'status'],
        properties: {
          workflowId: { type: 'string' },
          operation: { type: 'string', enum: [...OPERATION_NAMES, ...TRACKED_OPERATIONS] },
          status: { type: 'string', enum: ['running', 'completed', 'failed', 'canceled', 'terminated', 'timed_out'] },
          progress: {
            type: 'object',
            description: "While running: the workflow's progress query (phase: running) merged with the activity's heartbeat, whose own phase is activityPhase",
          },
          result: {
            type: 'object',
            description:
              'When completed: the output of the backup (with filesSkipped and warnings, one per entry it could not read), restore, verify, ' +
              'forget (groups with the snapshots kept and removed and why, at most 1,000 listed: kept, removed and truncated count them all) or prune (packs and bytes deleted, repacked, kept, freed)',
          },
          error: { type: 'object', required: ['message'], properties: { type: { type: 'string' }, message: { type: 'string' } } },
        },
      },
      PauseRequest: jsonSchema(PauseRequestSchema),
      ScheduleSummary: { type: 'object', required: ['name', 'kind', 'spec', 'paused', 'nextRun'], properties: scheduleSummaryProperties },
      ScheduleList: { type: 'object', required: ['schedules'], properties: { schedules: { type: 'array', items: ref('ScheduleSummary') } } },
      Schedule: {
        type: 'object',
        required: ['name', 'kind', 'spec', 'paused', 'nextRun', 'overlap', 'catchupWindowMs', 'nextRuns', 'recentRuns', 'openRuns', 'actionsTaken', 'missedCatchupWindow', 'skippedOverlap'],
        properties: {
          ...scheduleSummaryProperties,
          overlap: { type: 'string', enum: ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'] },
          catchupWindowMs: { type: 'integer' },
          nextRuns: { type: 'array', items: isoTime, description: 'The next 5 scheduled times' },
          recentRuns: {
            type: 'array',
            description: 'The last runs Temporal keeps (up to 10), oldest first; triggered and backfilled runs included',
            items: {
              type: 'object',
              required: ['scheduledAt', 'takenAt', 'workflowId', 'outcome'],
              properties: {
                scheduledAt: isoTime,
                takenAt: isoTime,
                workflowId: { type: 'string' },
                outcome: { type: 'string', enum: ['running', 'completed', 'failed', 'canceled', 'terminated', 'timed_out', 'expired'], description: 'expired: the history is gone' },
              },
            },
          },
          openRuns: { type: 'array', items: { type: 'string' }, description: 'Workflow ids of the runs still open' },
          actionsTaken: { type: 'integer' },
          missedCatchupWindow: { type: 'integer', description: 'Scheduled times missed because they could not be taken within the catch-up window' },
          skippedOverlap: { type: 'integer', description: 'Scheduled or triggered times skipped because a run was still open' },
        },
      },
      TriggerResult: {
        type: 'object',
        required: ['name', 'overlap', 'outcome', 'openRuns'],
        properties: {
          name: { type: 'string' },
          overlap: { type: 'string', description: "The Schedule's overlap policy, which the trigger passed" },
          outcome: { type: 'string', enum: ['started', 'skipped', 'queued'] },
          workflowId: { type: 'string', description: 'When started: the run' },
          openRuns: { type: 'array', items: { type: 'string' } },
        },
      },
      ReplicationRunRequest: jsonSchema(ReplicationRunRequestSchema),
      ReplicationVerificationRequest: jsonSchema(ReplicationVerificationRequestSchema),
      ReplicationStatus: {
        type: 'object',
        required: ['name', 'mode', 'workflowId', 'running', 'primary', 'replicas'],
        properties: {
          name: { type: 'string' },
          mode: { type: 'string', enum: ['async', 'sync', 'quorum'] },
          quorum: { type: 'integer', description: 'quorum mode: K repositories, the primary counted' },
          workflowId: { type: 'string' },
          running: { type: 'boolean', description: "The set's workflow runs; when not, every replica is never-run" },
          unanswered: { type: 'string', description: 'The workflow runs but no worker answered its status query' },
          primary: { type: 'object', required: ['name', 'location'], properties: member },
          passes: { type: 'integer' },
          lastPassAt: isoTime,
          replicas: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'location', 'state', 'reachable', 'behind', 'lagSeconds'],
              properties: {
                ...member,
                state: { type: 'string', enum: ['never-run', 'idle', 'copying', 'deferred', 'failing'] },
                reachable: { type: ['boolean', 'null'], description: 'The outcome of the last contact; null before the first' },
                lastContactAt: isoTime,
                behind,
                lagSeconds: { type: ['integer', 'null'], description: 'Seconds since the oldest snapshot the replica lacks was committed; 0 when it lacks none; null before its first pass' },
                lastSuccessAt: isoTime,
                lastError: { type: 'object', properties: { message: { type: 'string' }, at: isoTime } },
                lastPass: { type: 'object', description: "The last pass's counters: copied, skippedPresent, deleted, pending, behind, durationMs" },
                reason: { type: 'string', description: 'Why the last pass was deferred' },
              },
            },
          },
        },
      },
      ReplicationStatusList: { type: 'object', required: ['sets'], properties: { sets: { type: 'array', items: ref('ReplicationStatus') } } },
      PauseResult: { type: 'object', required: ['name', 'paused'], properties: { name: { type: 'string' }, paused: { type: 'boolean' }, note: { type: 'string' } } },
      Snapshot: {
        type: 'object',
        required: ['id', 'time', 'host', 'source', 'type', 'parent', 'tags', 'files', 'bytes'],
        properties: {
          id: { type: 'string' },
          time: { type: 'string', format: 'date-time' },
          host: { type: 'string' },
          source: { type: 'string' },
          type: { type: 'string', enum: ['full', 'incremental', 'differential'] },
          parent: { type: ['string', 'null'] },
          tags: { type: 'array', items: { type: 'string' } },
          files: { type: 'integer' },
          bytes: { type: 'integer' },
        },
      },
      SnapshotList: { type: 'object', required: ['snapshots'], properties: { snapshots: { type: 'array', items: ref('Snapshot') } } },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};
