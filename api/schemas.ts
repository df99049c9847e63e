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

export const BackupRequestSchema = object({
  repo,
  path: absolutePath('The directory to back up, on the host of the worker that runs the backup'),
  type: z.enum(['full', 'incremental', 'differential'], 'must be full, incremental or differential').optional(),
  tags: strings('Tags recorded in the snapshot').optional(),
  exclude: strings('Glob patterns of paths to leave out').optional(),
  time: text()
    .refine((time) => parseSnapshotTime(time, { requireZone: true }) !== undefined, `must be ${ZONED_SNAPSHOT_TIME_FORMAT}`)
    .overwrite((time) => parseSnapshotTime(time, { requireZone: true })?.toISOString() ?? time)
    .optional()
    .meta({ description: 'The time recorded in the snapshot (to import a history); defaults to now', examples: ['2026-11-30T02:15:00Z'] }),
});

export const RestoreRequestSchema = object({
  repo,
  snapshot: snapshotRef,
  target: absolutePath('The directory to restore into, on the host of the worker that runs the restore'),
  include: strings('Glob patterns: restore only the paths that match').optional(),
  exclude: strings('Glob patterns of paths to leave out').optional(),
});

export const VerificationRequestSchema = object({
  repo,
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
  maxUnusedPercent: maxUnusedPercent.optional(),
  dryRun: flag('Decide and report only; nothing is deleted or written'),
});

export const SnapshotsQuerySchema = object({ repo });

export const SnapshotParamSchema = object({ id: snapshotId });

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

/** The request body of each operation with an `api` route in the catalog; its output is that operation's workflow input. */
export const OPERATION_REQUEST_SCHEMAS = {
  backup: BackupRequestSchema,
  restore: RestoreRequestSchema,
  verify: VerificationRequestSchema,
  forget: ForgetRequestSchema,
  prune: PruneRequestSchema,
} satisfies { [O in Operation]?: z.ZodType<OperationInput<O>> };

export function requestSchemaOf(operation: Operation): z.ZodType<OperationInput<Operation>> {
  const schema = (OPERATION_REQUEST_SCHEMAS as Partial<Record<Operation, z.ZodType<OperationInput<Operation>>>>)[operation];
  if (!schema) throw new Error(`[api] the operation "${operation}" has an API route but no request schema in api/schemas.ts`);
  return schema;
}
