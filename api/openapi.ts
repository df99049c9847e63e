// The OpenAPI 3.1 document of the HTTP API, served at GET /v1/openapi.json without
// authentication (it holds no data). Operation routes and names come from the operation catalog
// (workflows/catalog.ts) and request schemas from api/schemas.ts, so the document cannot drift
// from what the routes accept; responses are written out here.

import { OPERATION_NAMES, OPERATIONS } from '../workflows/catalog.js';
import { MAX_BODY_TEXT } from './bodySize.js';
import { TRACKED_OPERATIONS } from './operations.js';
import { errors, isoTime, json, jsonSchema, ref } from './openapiParts.js';
import { slaPaths, slaSchemas } from './openapiSlas.js';
import { alertPaths, alertSchemas } from './openapiAlerts.js';
import {
  FailbackRequestSchema,
  FailoverParamSchema,
  FailoverTriggerRequestSchema,
  OperationWaitQuerySchema,
  ExecutionParamSchema,
  PauseRequestSchema,
  RunbookExecutionRequestSchema,
  RunbookParamSchema,
  StepDecisionRequestSchema,
  ReplicationParamSchema,
  ReplicationRunRequestSchema,
  ReplicationVerificationRequestSchema,
  requestSchemaOf,
  ScheduleParamSchema,
  SnapshotParamSchema,
  SnapshotListQuerySchema,
  SnapshotsQuerySchema,
} from './schemas.js';


const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: the message names the field (code invalid_request)',
  401: 'Missing or wrong bearer token (code unauthorized)',
  403: 'A repository the server is not configured for (code refused); no storage was contacted',
  404: 'No such workflow, snapshot, schedule, replica set, failover monitor, runbook, runbook execution, SLA (or SLA monitor) or route (code not_found)',
  405: 'The path exists but does not serve this method (code method_not_allowed); the Allow header lists the methods it serves',
  409: 'Conflict (code conflict); or refused by the workflow\'s Update validator (code rejected) with its one-line reason',
  413: `The request body is larger than ${MAX_BODY_TEXT} (code payload_too_large)`,
  422: 'The repository cannot be used: wrong_passphrase, not_a_repository or integrity',
  500: 'Internal error (code internal_error); details only in the server log',
  502: 'Storage failed permanently (code storage_error)',
  503: 'Temporal or storage unreachable (temporal_unavailable, storage_unavailable), or no worker answered a query (unanswered); try again',
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

/** The answer of a cancel: the workflow's cancellation is requested. */
const cancelRequested = { description: 'Cancellation requested', ...json({ type: 'object', required: ['workflowId', 'cancelRequested'], properties: { workflowId: { type: 'string' }, cancelRequested: { const: true } } }) };
const operationId = { name: 'workflowId', in: 'path', required: true, description: 'Percent-encoded workflow id', schema: { type: 'string' } };
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

const failoverName = { name: 'name', in: 'path', required: true, schema: jsonSchema(FailoverParamSchema.shape.name) };

/** POST /v1/failover/{name}/ACTION: a manual switch through the monitor's Update; answers once it is done. */
const switchRegion = (summary: string, request: string) => ({
  post: {
    summary,
    parameters: [failoverName],
    requestBody: { required: true, ...json(ref(request)) },
    responses: { '200': { description: 'The switch is done', ...json(ref('SwitchAccepted')) }, ...errors(400, 401, 404, 405, 409, 413, 500, 503) },
  },
});

const runbookName = { name: 'name', in: 'path', required: true, schema: jsonSchema(RunbookParamSchema.shape.name) };
const executionId = { name: 'id', in: 'path', required: true, schema: jsonSchema(ExecutionParamSchema.shape.id) };

/** POST /v1/runbooks/executions/{id}/approve|reject: a decision on a manual step, as the request's token name. */
const decideStep = (summary: string) => ({
  post: {
    summary,
    parameters: [executionId],
    requestBody: { required: true, ...json(ref('StepDecisionRequest')) },
    responses: { '200': { description: 'The step as decided', ...json(ref('RunbookStep')) }, ...errors(400, 401, 404, 405, 409, 413, 500, 503) },
  },
});

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
      'Starts and tracks backup, restore, verify, forget and prune operations, PostgreSQL base backups and restores to a time, restores of a source as of a time, unlocks and repairs (durable Temporal workflows), lists snapshots and forgets one, ' +
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
        summary: 'State of an operation; with wait, answers as soon as it ends',
        parameters: [operationId, { name: 'wait', in: 'query', required: false, schema: jsonSchema(OperationWaitQuerySchema.shape.wait) }],
        responses: { '200': { description: 'The operation', ...json(ref('Operation')) }, ...errors(400, 401, 404, 405, 500, 503) },
      },
    },
    '/v1/operations/{workflowId}/cancel': {
      post: {
        summary: 'Asks a running operation to cancel (its running activity is cancelled; 409 when it has ended)',
        parameters: [operationId],
        responses: {
          '200': cancelRequested,
          ...errors(401, 404, 405, 409, 413, 500, 503),
        },
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
    '/v1/failover/{name}': {
      get: {
        summary:
          "A failover monitor's state: the active region, failed checks of it in a row, healthy checks of the primary in a row, each region's last check " +
          'with its probes and latencies, a switch in progress, a decision it waits for, whether failback is possible, and its recent events',
        parameters: [failoverName],
        responses: { '200': { description: 'The state', ...json(ref('FailoverState')) }, ...errors(400, 401, 404, 405, 500, 503) },
      },
    },
    '/v1/failover/{name}/events': {
      get: {
        summary: 'The events the monitor keeps, oldest first: failover, failback, failover-blocked, failback-possible, resynced, switch-failed',
        parameters: [failoverName],
        responses: { '200': { description: 'The events', ...json(ref('FailoverEventList')) }, ...errors(400, 401, 404, 405, 500, 503) },
      },
    },
    '/v1/failover/{name}/trigger': switchRegion(
      'Moves the active region now, to `to` or the first healthy secondary (refused with 409 when the target is unknown, active, unhealthy or never checked, or a switch is in progress); the token name is recorded as who asked',
      'FailoverTriggerRequest',
    ),
    '/v1/failover/{name}/failback': switchRegion('Moves the active region back to the primary region (409 when it is active, unhealthy, or a switch is in progress)', 'FailbackRequest'),
    '/v1/runbooks': {
      get: {
        summary: "The runbooks the server can run: meridian.yaml's runbooks, the runbooks directory, the built-in templates (a configured one of a template's name shadows it)",
        responses: { '200': { description: 'The runbooks', ...json(ref('RunbookList')) }, ...errors(401, 405, 500) },
      },
    },
    '/v1/runbooks/{name}': {
      get: {
        summary: 'One runbook: where it comes from, its parameters and steps',
        parameters: [runbookName],
        responses: { '200': { description: 'The runbook', ...json({ type: 'object', required: ['name', 'origin', 'runbook'] }) }, ...errors(400, 401, 404, 405, 500) },
      },
    },
    '/v1/runbooks/{name}/executions': {
      post: {
        summary: 'Starts an execution, the workflow runbook:NAME:ID, recording the token name as who started it; 400 for an unknown or missing parameter',
        parameters: [runbookName],
        requestBody: { required: true, ...json(ref('RunbookExecutionRequest')) },
        responses: {
          '202': { description: 'Started; the Location header says where to follow it', ...json(ref('Accepted')) },
          ...errors(400, 401, 404, 405, 409, 413, 500, 503),
        },
      },
    },
    '/v1/runbooks/executions/{id}': {
      get: {
        summary: 'An execution: its status and every step (status, start, end, duration, result or error, the decision on a manual step and who made it), its measured RTO',
        parameters: [executionId],
        responses: { '200': { description: 'The execution', ...json(ref('RunbookExecution')) }, ...errors(400, 401, 404, 405, 500, 503) },
      },
    },
    '/v1/runbooks/executions/{id}/approve': decideStep('Approves a manual step waiting for approval (409 when it is not waiting, already decided, or the token name is not one of its approvers)'),
    '/v1/runbooks/executions/{id}/reject': decideStep('Rejects a manual step waiting for approval (the execution then fails; 409 as for approve)'),
    '/v1/runbooks/executions/{id}/cancel': {
      post: {
        summary: 'Cancels a running execution (its running step is cancelled; 409 when it is not running)',
        parameters: [executionId],
        responses: {
          '200': cancelRequested,
          ...errors(400, 401, 404, 405, 409, 413, 500, 503),
        },
      },
    },
    ...slaPaths,
    ...alertPaths,
    '/v1/snapshots': {
      get: {
        summary: "A repository's snapshots, oldest first; with at and source, which snapshot and journal segments a restore of the source as of that time uses",
        parameters: [
          { name: 'repo', in: 'query', required: true, schema: jsonSchema(SnapshotListQuerySchema.shape.repo) },
          { name: 'at', in: 'query', required: false, schema: jsonSchema(SnapshotListQuerySchema.shape.at) },
          { name: 'source', in: 'query', required: false, schema: jsonSchema(SnapshotListQuerySchema.shape.source) },
        ],
        responses: {
          '200': { description: 'The snapshots; with at and source, the restore plan as of that time', ...json({ oneOf: [ref('SnapshotList'), ref('RestoreAtPlan')] }) },
          ...errors(400, 401, 403, 404, 405, 422, 500, 502, 503),
        },
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
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: "MERIDIAN_API_TOKEN (identity 'admin') or a named token of meridian.yaml's api.tokens (identity: its name)" } },
    responses: Object.fromEntries(
      Object.entries(ERROR_DESCRIPTIONS).map(([status, description]) => [
        `Error${status}`,
        { description, ...(status === '405' ? { headers: { Allow: { description: 'The methods the path serves', schema: { type: 'string' } } } } : {}), ...json(ref('Error')) },
      ]),
    ),
    schemas: {
      ...Object.fromEntries(apiOperations.map(({ operation, request }) => [request, jsonSchema(requestSchemaOf(operation))])),
      Health: { type: 'object', required: ['ok'], properties: { ok: { const: true } } },
      Accepted: {
        type: 'object',
        required: ['workflowId'],
        properties: { workflowId: { type: 'string' }, dataTaskQueue: { type: 'string', description: "The data host's task queue the operation's data-plane work was sent to, when it was routed to one" } },
      },
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
      FailoverTriggerRequest: jsonSchema(FailoverTriggerRequestSchema),
      FailbackRequest: jsonSchema(FailbackRequestSchema),
      SwitchAccepted: { type: 'object', required: ['eventId', 'from', 'to'], properties: { eventId: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } },
      FailoverEvent: {
        type: 'object',
        required: ['id', 'kind', 'at', 'from', 'to', 'reason', 'trigger'],
        properties: {
          id: { type: 'string' },
          kind: { type: 'string', enum: ['failover', 'failback', 'failover-blocked', 'failback-possible', 'resynced', 'switch-failed'] },
          at: isoTime,
          from: { type: 'string' },
          to: { type: 'string' },
          reason: { type: 'string' },
          trigger: { type: 'string', enum: ['automatic', 'manual'] },
          by: { type: 'string', description: 'Who asked (the API token name, the CLI user), for manual ones' },
          failedChecks: { type: 'array', items: ref('Probe') },
          lagSeconds: { type: 'number' },
        },
      },
      FailoverEventList: { type: 'object', required: ['name', 'events'], properties: { name: { type: 'string' }, events: { type: 'array', items: ref('FailoverEvent') } } },
      Probe: {
        type: 'object',
        required: ['kind', 'target', 'healthy', 'latencyMs'],
        properties: { kind: { type: 'string', enum: ['storage', 'http'] }, target: { type: 'string' }, healthy: { type: 'boolean' }, latencyMs: { type: 'number' }, reason: { type: 'string' } },
      },
      FailoverState: {
        type: 'object',
        required: ['name', 'replication', 'primaryRegion', 'secondaryRegions', 'activeRegion', 'consecutiveFailures', 'primaryHealthyStreak', 'needsResync', 'failbackPossible', 'regions', 'checks', 'events'],
        properties: {
          name: { type: 'string' },
          replication: { type: 'string' },
          primaryRegion: { type: 'string' },
          secondaryRegions: { type: 'array', items: { type: 'string' } },
          activeRegion: { type: 'string', description: 'Where backups, restores and replication go now' },
          consecutiveFailures: { type: 'integer', description: 'Failed checks of the active region in a row' },
          primaryHealthyStreak: { type: 'integer', description: 'Healthy checks of the primary region in a row while another is active' },
          switching: { type: 'object', description: 'A switch in progress: kind, from, to, since, eventId, trigger' },
          needsResync: { type: 'array', items: { type: 'string' } },
          awaitingDecision: { type: 'object', description: 'An automatic failover withheld: reason, since, eventId' },
          failbackPossible: { type: 'boolean' },
          regions: {
            type: 'object',
            description: "Each region's last check",
            additionalProperties: { type: 'object', required: ['region', 'healthy', 'probes', 'at'], properties: { region: { type: 'string' }, healthy: { type: 'boolean' }, reason: { type: 'string' }, probes: { type: 'array', items: ref('Probe') }, at: isoTime } },
          },
          checks: { type: 'integer' },
          events: { type: 'array', items: ref('FailoverEvent') },
        },
      },
      RunbookExecutionRequest: jsonSchema(RunbookExecutionRequestSchema),
      StepDecisionRequest: jsonSchema(StepDecisionRequestSchema),
      RunbookList: {
        type: 'object',
        required: ['runbooks'],
        properties: {
          runbooks: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'origin', 'description', 'shadowsTemplate'],
              properties: { name: { type: 'string' }, origin: { type: 'string', enum: ['config', 'file', 'template'] }, description: { type: 'string' }, file: { type: 'string' }, shadowsTemplate: { type: 'boolean' } },
            },
          },
        },
      },
      RunbookStep: {
        type: 'object',
        required: ['name', 'kind', 'status', 'attempts'],
        properties: {
          name: { type: 'string' },
          kind: { type: 'string', enum: ['automated', 'manual'] },
          action: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'running', 'waiting-for-approval', 'succeeded', 'failed', 'skipped'] },
          attempts: { type: 'integer' },
          startedAt: isoTime,
          endedAt: isoTime,
          durationMs: { type: 'integer' },
          result: { type: 'object' },
          error: { type: 'string' },
          decision: { type: 'object', required: ['approved', 'by', 'at'], properties: { approved: { type: 'boolean' }, by: { type: 'string' }, note: { type: 'string' }, at: isoTime } },
          approvalDeadline: isoTime,
          approvers: { type: 'array', items: { type: 'string' } },
          plan: { type: 'object', description: 'A dry run: wouldDo, expectedMs' },
        },
      },
      RunbookExecution: {
        type: 'object',
        required: ['runbook', 'workflowId', 'params', 'dryRun', 'status', 'steps', 'startedAt'],
        properties: {
          runbook: { type: 'string' },
          description: { type: 'string' },
          workflowId: { type: 'string' },
          params: { type: 'object' },
          dryRun: { type: 'boolean' },
          startedBy: { type: 'string' },
          status: { type: 'string', enum: ['running', 'waiting-for-approval', 'succeeded', 'failed', 'cancelled'] },
          steps: { type: 'array', items: ref('RunbookStep') },
          startedAt: isoTime,
          endedAt: isoTime,
          durationMs: { type: 'integer' },
          error: { type: 'string' },
          rtoSeconds: { type: 'number', description: 'The execution ended in a recovery: its whole duration, the measured RTO' },
        },
      },
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
      ...slaSchemas,
      ...alertSchemas,
      RestoreAtPlan: {
        type: 'object',
        required: ['at', 'snapshot', 'segments', 'covered'],
        properties: {
          at: isoTime,
          snapshot: ref('Snapshot'),
          segments: {
            type: 'array',
            description: 'The journal segments applied after the snapshot, oldest first',
            items: {
              type: 'object',
              required: ['id', 'source', 'host', 'from', 'until', 'changed', 'deleted'],
              properties: {
                id: { type: 'string' },
                source: { type: 'string' },
                host: { type: 'string' },
                from: isoTime,
                until: isoTime,
                changed: { type: 'integer' },
                deleted: { type: 'integer' },
                rescan: { type: 'string', description: 'Why the watcher rescanned the tree for this segment (a restart, an overflow)' },
                filesSkipped: { type: 'integer', description: 'Changed files this segment could not read (denied, replaced meanwhile…): a restore keeps them as recorded before, so they may be stale' },
              },
            },
          },
          covered: { type: 'object', required: ['from', 'until'], properties: { from: isoTime, until: isoTime }, description: "The interval the source's snapshots and journal cover" },
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
