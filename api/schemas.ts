// The zod schemas of the API's request bodies and queries: one input schema per operation the API
// starts, keyed by the operation catalog (workflows/catalog.ts). Objects are strict (unknown
// fields are rejected), paths must be absolute and repositories must be names or parse as URLs; messages say what
// a field must be, and api/validation.ts prefixes them with the field's name. The OpenAPI
// document is generated from these same schemas.

import { z } from 'zod';
import { ConfigName } from '../config/schema.js';
import { GROUP_BY, RetentionPolicySchema } from '../core/retention.js';
import { isTimeZone, parseSnapshotTime, ZONED_SNAPSHOT_TIME_FORMAT } from '../core/snapshotTime.js';
import { isRepositoryName, parseRepositoryUrl } from '../storage/open.js';
import { DEFAULT_PAUSE_NOTE } from '../schedules/notes.js';
import { CLUSTER_NAME, CLUSTER_NAME_RULE } from '../core/pgCluster.js';
import { dsnPasswordProblem } from '../core/pgDsn.js';
import type { Operation, OperationInput } from '../workflows/catalog.js';

/** zod's message for a missing or mistyped value, in the API's words. */
const mustBe = (expected: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${expected}`),
});

const text = () => z.string(mustBe('a string')).min(1, 'must not be empty');

const repo = text()
  .superRefine((url, ctx) => {
    if (isRepositoryName(url)) return;
    try {
      parseRepositoryUrl(url);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^\[storage\] /, '') });
    }
  })
  .meta({
    description: "A repository the server is configured for: its name, or its absolute path or file://, s3://, gs:// or azure:// URL (endpoint included); any other is 403",
    examples: ['/srv/meridian-repo'],
  });

/** An absolute path on the worker's host; the rule is a `pattern` in the OpenAPI document too. */
const absolutePath = (description: string) => text().regex(/^\//, 'must be an absolute path').meta({ description: `${description}; an absolute path (starts with /)` });

const strings = (description: string) => z.array(text(), mustBe('an array of strings')).meta({ description });

const snapshotRef = text()
  .regex(/^(latest|[0-9a-f]{4,64})$/, 'must be "latest" or a snapshot id (4 to 64 hex digits)')
  .meta({ description: 'A snapshot id, a unique prefix of at least 4 hex digits, or "latest"' });

const object = <Shape extends z.ZodRawShape>(shape: Shape) => z.strictObject(shape, mustBe('a JSON object'));

/**
 * Every operation's request may send its data-plane work to a host of a fleet: the task queue its
 * worker polls. That worker still refuses what its own configuration does not admit.
 */
const ROUTING = {
  dataTaskQueue: text()
    .max(200, 'must be at most 200 characters')
    .regex(/^\S*$/, 'must not contain white space')
    .optional()
    .meta({
      description:
        "The task queue of the worker on the host that holds the data (a fleet's data host), which does the operation's reading and writing; default: for a backup of a source of the server's meridian.yaml, that source's taskQueue, else the server's own queue",
      examples: ['host-b'],
    }),
};

/** An ISO 8601 time with a zone, normalized to UTC. */
const zonedTime = (description: string) =>
  text()
    .refine((time) => parseSnapshotTime(time, { requireZone: true }) !== undefined, `must be ${ZONED_SNAPSHOT_TIME_FORMAT}`)
    .overwrite((time) => parseSnapshotTime(time, { requireZone: true })?.toISOString() ?? time)
    .meta({ description, examples: ['2026-11-30T02:15:00Z'] });

/** The name a PostgreSQL cluster's WAL and base backups are stored under. */
const cluster = text()
  .regex(CLUSTER_NAME, `must be ${CLUSTER_NAME_RULE}`)
  .meta({ description: 'The cluster name its WAL and base backups are stored under (as given to `meridian pg wal-push --cluster`)', examples: ['main'] });

export const BackupRequestSchema = object({
  repo,
  ...ROUTING,
  path: absolutePath('The directory to back up, on the host of the worker that runs the backup'),
  type: z.enum(['full', 'incremental', 'differential'], 'must be full, incremental or differential').optional(),
  tags: strings('Tags recorded in the snapshot').optional(),
  exclude: strings('Glob patterns of paths to leave out').optional(),
  time: zonedTime('The time recorded in the snapshot (to import a history); defaults to now').optional(),
  host: text()
    .max(200, 'must be at most 200 characters')
    .optional()
    .meta({ description: "The host recorded in the snapshot; default: for a source of the server's meridian.yaml, its host, else the hostname of the worker that runs the backup" }),
});

export const RestoreRequestSchema = object({
  repo,
  ...ROUTING,
  snapshot: snapshotRef,
  target: absolutePath('The directory to restore into, on the host of the worker that runs the restore'),
  include: strings('Glob patterns: restore only the paths that match').optional(),
  exclude: strings('Glob patterns of paths to leave out').optional(),
});

export const VerificationRequestSchema = object({
  repo,
  ...ROUTING,
  snapshot: snapshotRef.optional(),
  level: z.enum(['quick', 'standard', 'deep'], 'must be quick, standard or deep').optional(),
  samplePercent: z
    .number(mustBe('a number'))
    .min(1, 'must be from 1 to 100')
    .max(100, 'must be from 1 to 100')
    .optional()
    .meta({ description: 'With level deep: the share of packs to read in full' }),
  subset: object({
    n: z.number(mustBe('a number')).int('must be a whole number').min(1, 'must be at least 1'),
    t: z.number(mustBe('a number')).int('must be a whole number').min(1, 'must be at least 1'),
  })
    .refine((s) => s.n <= s.t, { message: 'n must not exceed t', path: ['n'] })
    .optional()
    .meta({ description: "Deep verify of subset n of t of the packs only: those whose id's first 4 bytes leave n − 1 modulo t (restic's --read-data-subset n/t); implies level deep" }),
})
  .refine((v) => !v.subset || v.level === undefined || v.level === 'deep', { message: 'must be deep (or left out) with a subset', path: ['level'] })
  .refine((v) => !v.subset || v.samplePercent === undefined, { message: 'cannot be combined with a subset', path: ['samplePercent'] });

const snapshotId = text().regex(/^[0-9a-f]{4,64}$/, 'must be a snapshot id (4 to 64 hex digits)').meta({ description: 'A snapshot id or a unique prefix of at least 4 hex digits' });

const maxUnusedPercent = z
  .number(mustBe('a number'))
  .min(0, 'must be from 0 to 100')
  .max(100, 'must be from 0 to 100')
  .meta({ description: 'Repack packs whose unused share is above this percentage (default 5)' });

const flag = (description: string) => z.boolean(mustBe('true or false')).optional().meta({ description });

export const ForgetRequestSchema = object({
  repo,
  ...ROUTING,
  policy: RetentionPolicySchema.optional().meta({ description: 'The retention policy (keepLast, keepDaily…, keepWithin…, keepTags, gfs, maxAgeDays, minKeep, maxKeep); or snapshots' }),
  snapshots: z.array(snapshotId, mustBe('an array of snapshot ids')).min(1, 'must not be empty').optional().meta({ description: 'Exactly these snapshots are forgotten; or policy' }),
  groupBy: z.enum(GROUP_BY, `must be one of ${GROUP_BY.join(', ')}`).optional().meta({ description: 'How snapshots are grouped for the policy (default host,source)' }),
  timezone: text()
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris or UTC')
    .optional()
    .meta({ description: "The time zone of the policy's hours, days, weeks, months and years (default: the worker's)" }),
  allowEmpty: flag('Lets the policy forget every snapshot of a group'),
  dryRun: flag('Decide and report only; nothing is deleted (with prune: the prune is a dry run too)'),
  prune: object({ maxUnusedPercent: maxUnusedPercent.optional() })
    .optional()
    .meta({ description: 'Prune the repository after the forget, in the same workflow; its result is the result\'s prune' }),
}).refine((request) => (request.policy === undefined) !== (request.snapshots === undefined), { message: 'give either policy or snapshots (not both)' });

export const PruneRequestSchema = object({
  repo,
  ...ROUTING,
  maxUnusedPercent: maxUnusedPercent.optional(),
  dryRun: flag('Decide and report only; nothing is deleted or written'),
});

export const ImmutableMaintenanceRequestSchema = object({ repo, ...ROUTING });

export const UnlockRequestSchema = object({
  repo,
  ...ROUTING,
  force: flag('Remove every lock, live ones too: only when no other operation runs on the repository'),
});

export const RepairRequestSchema = object({ repo, ...ROUTING });

export const KeyRotationRequestSchema = object({
  repo,
  ...ROUTING,
  bytesPerSecond: z
    .int(mustBe('a whole number'))
    .min(1, 'must be at least 1')
    .optional()
    .meta({ description: 'Throttle: bytes of packs read per second while sealing them again; unlimited when absent' }),
});

export const PgBackupRequestSchema = object({
  repo,
  ...ROUTING,
  cluster,
  pgdata: absolutePath("The cluster's data directory, on the host of the worker that runs the backup").optional(),
  dsn: text()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .refine((dsn) => dsnPasswordProblem(dsn) === undefined, 'must not carry a password (the worker reads it from its ~/.pgpass or PGPASSFILE)')
    .optional()
    .meta({ description: 'A connection URL without a password, to take the backup through the replication protocol' }),
}).refine((body) => (body.pgdata === undefined) !== (body.dsn === undefined), { message: 'give exactly one of pgdata and dsn', path: ['pgdata'] });

export const PgRestoreRequestSchema = object({
  repo,
  ...ROUTING,
  cluster,
  targetTime: zonedTime('The moment the restored cluster reflects: the newest base backup that ended before it, then WAL replayed up to it'),
  targetDir: absolutePath('An empty or absent directory to restore into, on the host of the worker that runs the restore'),
  targetAction: z.enum(['promote', 'pause'], 'must be promote or pause').optional().meta({ description: 'What recovery does at the target (default promote)' }),
  start: object({
    port: z.number(mustBe('a port number')).int('must be an integer').min(1, 'must be 1 to 65535').max(65535, 'must be 1 to 65535'),
    timeoutMs: z.number(mustBe('a number of milliseconds')).int('must be an integer').positive('must be positive').optional(),
  })
    .optional()
    .meta({ description: 'Start PostgreSQL on this port once restored and wait until recovery reached the target' }),
});

export const PgVerificationRequestSchema = object({
  repo,
  ...ROUTING,
  cluster,
  retention: flag('Also delete the WAL no kept base backup needs'),
  dryRun: flag('With retention: report what would be deleted, delete nothing'),
}).refine((body) => !body.dryRun || body.retention === true, { message: 'applies only with retention', path: ['dryRun'] });

export const RestoreAtRequestSchema = object({
  repo,
  ...ROUTING,
  source: absolutePath('The source directory, as its snapshots record it'),
  host: text().optional().meta({ description: 'The host whose snapshots and journal to use; defaults to any' }),
  at: zonedTime('The moment to restore the source as of: its newest snapshot then, plus the journal segments up to then'),
  target: absolutePath('The directory to restore into, on the host of the worker that runs the restore'),
});

export const SnapshotsQuerySchema = object({ repo });

/** The longest GET /v1/operations/{workflowId}?wait= holds a request for the operation to end. */
export const MAX_OPERATION_WAIT_SECONDS = 60;

/** GET /v1/operations/{workflowId}?wait=N: how long to hold the request for the operation to end. */
export const OperationWaitQuerySchema = object({
  wait: z
    .string(mustBe('a string'))
    // The OpenAPI document shows the pattern; the refine adds the upper bound.
    .regex(/^\d{1,2}$/, `must be a whole number of seconds from 0 to ${MAX_OPERATION_WAIT_SECONDS}`)
    .refine((seconds) => !/^\d{1,2}$/.test(seconds) || Number(seconds) <= MAX_OPERATION_WAIT_SECONDS, `must be a whole number of seconds from 0 to ${MAX_OPERATION_WAIT_SECONDS}`)
    .optional()
    .meta({
      description: `Seconds to wait for a running operation to end before answering (0 to ${MAX_OPERATION_WAIT_SECONDS}, default 0): the answer comes as soon as it ends, with its result or error, else after the wait with its progress`,
      examples: ['30'],
    }),
});

/** GET /v1/snapshots: the snapshots, or with at and source, what a restore of the source as of that time uses. */
export const SnapshotListQuerySchema = object({
  repo,
  at: zonedTime('With source: which snapshot and journal segments a restore of the source as of this time uses').optional(),
  source: absolutePath('With at: the source directory, as its snapshots record it').optional(),
}).refine((query) => (query.at === undefined) === (query.source === undefined), { message: 'give both at and source, or neither', path: ['at'] });

export const SnapshotParamSchema = object({ id: snapshotId });

/** The `:snapshot` of POST /v1/alerts/:snapshot/ack: the suspected snapshot whose alert to acknowledge. */
export const AlertParamSchema = object({ snapshot: snapshotId });

/** The `:name` of the /v1/schedules routes: a schedule's name in meridian.yaml (its Schedule id is meridian:NAME). */
export const ScheduleParamSchema = object({
  name: ConfigName.meta({ description: "A schedule's name in meridian.yaml; its Temporal Schedule id is meridian:NAME" }),
});

export const PauseRequestSchema = object({
  note: text()
    .max(1000, 'must be at most 1000 characters')
    .optional()
    .meta({ description: `Why the schedule is paused; shown by GET /v1/schedules/{name}, Temporal UI and temporal schedule describe (default "${DEFAULT_PAUSE_NOTE}")` }),
});

/** The `:name` of the /v1/replication routes: a replica set of the server's meridian.yaml. */
export const ReplicationParamSchema = object({
  name: ConfigName.meta({ description: "A replica set's name in the server's meridian.yaml; its workflow id is replication:NAME" }),
});

export const ReplicationRunRequestSchema = object({
  full: z.boolean(mustBe('true or false')).optional().meta({ description: 'Also list data/ on both sides, so packs lost from a replica are copied again (default false)' }),
});

export const ReplicationVerificationRequestSchema = object({
  replica: ConfigName.optional().meta({ description: 'Compare this replica only (default: every replica of the set)' }),
});

/** The `:name` of the /v1/failover routes: a failover entry of meridian.yaml (its monitor is failover:NAME). */
export const FailoverParamSchema = object({
  name: ConfigName.meta({ description: "A failover entry's name in meridian.yaml; its monitor's workflow id is failover:NAME" }),
});

const switchReason = text().max(1000, 'must be at most 1000 characters').optional().meta({ description: 'Why (recorded in the event)' });

/** Who asks is the request's token, never a field of the body. */
export const FailoverTriggerRequestSchema = object({
  to: z.string(mustBe('a region name')).min(1, 'must not be empty').optional().meta({ description: 'The region to make active (default: the first secondary in order that is healthy)' }),
  reason: switchReason,
});

export const FailbackRequestSchema = object({ reason: switchReason });

/** The `:name` of the /v1/slas routes: an SLA of meridian.yaml, as the SLA monitor evaluates it. */
export const SlaParamSchema = object({
  name: ConfigName.meta({ description: "An SLA's name in meridian.yaml" }),
});

export const SlaReportQuerySchema = object({
  since: text().max(100, 'must be at most 100 characters').optional().meta({ description: 'The start of the period: an ISO time (2026-11-01T00:00:00Z) or a duration ago (24h, 7d); default 30d', examples: ['7d'] }),
  format: z.enum(['json', 'markdown'], mustBe('json or markdown')).optional().meta({ description: 'markdown: the report as a text/markdown document (default json)' }),
});

/** The `:name` of the /v1/runbooks routes. */
export const RunbookParamSchema = object({
  name: ConfigName.meta({ description: "A runbook's name (meridian.yaml's runbooks, the runbooks directory, or a built-in template)" }),
});

/** The `:id` of an execution: its workflow id runbook:NAME:ID (URL-encoded), or NAME:ID. */
export const ExecutionParamSchema = object({
  id: text().max(300, 'must be at most 300 characters').meta({ description: 'The execution: its workflow id runbook:NAME:ID (URL-encoded), or NAME:ID' }),
});

export const RunbookExecutionRequestSchema = object({
  params: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()], mustBe('a string, number or boolean')), mustBe('an object of parameter values'))
    .default({})
    .meta({ description: "The runbook's parameters, by name" }),
  dryRun: z.boolean(mustBe('true or false')).optional().meta({ description: 'Perform no mutating call; each step reports what it would do and how long it would take (default false)' }),
});

/** Who decides is the request's token, never a field of the body. */
export const StepDecisionRequestSchema = object({
  step: text().max(200, 'must be at most 200 characters').meta({ description: 'The name of the manual step waiting for approval' }),
  note: text().max(2000, 'must be at most 2000 characters').optional().meta({ description: 'A note recorded with the decision' }),
});

/** The request body of each operation with an `api` route in the catalog; its output is that operation's workflow input. */
export const OPERATION_REQUEST_SCHEMAS = {
  backup: BackupRequestSchema,
  restore: RestoreRequestSchema,
  verify: VerificationRequestSchema,
  forget: ForgetRequestSchema,
  prune: PruneRequestSchema,
  'immutable-maintenance': ImmutableMaintenanceRequestSchema,
  'key-rotation': KeyRotationRequestSchema,
  'pg-backup': PgBackupRequestSchema,
  'pg-restore': PgRestoreRequestSchema,
  'pg-verify': PgVerificationRequestSchema,
  'restore-at': RestoreAtRequestSchema,
  unlock: UnlockRequestSchema,
  'repair-index': RepairRequestSchema,
  'repair-snapshots': RepairRequestSchema,
} satisfies { [O in Operation]?: z.ZodType<OperationInput<O>> };

export function requestSchemaOf(operation: Operation): z.ZodType<OperationInput<Operation>> {
  const schema = (OPERATION_REQUEST_SCHEMAS as Partial<Record<Operation, z.ZodType<OperationInput<Operation>>>>)[operation];
  if (!schema) throw new Error(`[api] the operation "${operation}" has an API route but no request schema in api/schemas.ts`);
  return schema;
}
