// The shape of `meridian.yaml`, the one configuration file that names repositories, sources,
// retention policies, schedules, replica sets, failover monitors, runbooks, the API's named
// tokens, SLAs, notification channels and the metrics endpoint, so that
// CLI flags, schedules and routes refer to names instead of URLs. Zod-validated; unknown keys are
// errors. Secrets are never in the file: it names the files or environment variables that hold them.

import { z } from 'zod';
import { RetentionPolicySchema, GROUP_BY } from '../core/retention.js';
import { cronProblem } from './cron.js';
import { DurationMs } from './duration.js';
import { ImmutablePolicySchema } from '../core/immutablePolicy.js';
import { RepositoryRole } from './repositoryRole.js';
import { RunbookSchema } from './runbookSchema.js';
import { EVENT_KINDS, SEVERITIES } from '../workflows/eventDefs.js';

/** A name of something in the file: letters, digits, `.`, `_` and `-`, starting with a letter or digit. */
export const ConfigName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a name is 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit');

export { DurationMs };

/** A byte size: a number, or `500MiB`, `10GiB`, `2TB`… */
export const ByteSize = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)$/, 'a size such as 500MiB or 10GiB')
    .transform((text) => {
      const [, amount, unit] = /^(\d+(?:\.\d+)?)\s*(\w+)$/.exec(text)!;
      const scale: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
      return Math.round(Number(amount) * scale[unit!]!);
    }),
]);

/** An IANA time zone name that this Node.js knows (Intl.DateTimeFormat accepts it). */
export const TimeZone = z.string().min(1).superRefine((zone, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    ctx.addIssue({ code: 'custom', message: `unknown time zone "${zone}" (an IANA name such as UTC or Europe/Berlin)` });
  }
});

/** A five-field cron expression (config/cron.ts), its fields single-spaced; Temporal never sees one we did not validate. */
export const CronExpression = z
  .string()
  .min(1)
  .superRefine((expression, ctx) => {
    const problem = cronProblem(expression);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((expression) => expression.trim().split(/\s+/).join(' '));

/** Where a secret lives: a file (first line) or an environment variable; never the secret itself. */
const SecretReference = {
  passwordFile: z.string().min(1).optional(),
  passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
};

export const RepositoryEntrySchema = z
  .strictObject({
    /** A path (relative: from the file's directory), file://, s3://, gs:// or azure:// URL. */
    url: z.string().min(1),
    role: RepositoryRole.optional(),
    /** An immutable repository (S3 Object Lock): `meridian init` creates its bucket so, and `meridian apply` schedules its maintenance. */
    immutable: ImmutablePolicySchema.optional(),
    /** The region label (replication and failover group repositories by it). */
    region: z.string().min(1).optional(),
    ...SecretReference,
  })
  .superRefine((entry, ctx) => {
    if (entry.passwordFile !== undefined && entry.passwordEnv !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'give passwordFile or passwordEnv, not both' });
    }
    if (entry.immutable !== undefined && !entry.url.startsWith('s3://')) {
      ctx.addIssue({ code: 'custom', path: ['immutable'], message: 'immutable repositories need S3 (Object Lock): the url must be s3://' });
    }
  });

export const SourceEntrySchema = z.strictObject({
  /** The directory on its host (relative: from the file's directory). */
  path: z.string().min(1),
  /** A repository name of this file. */
  repository: ConfigName,
  /** The host recorded in snapshots; default: the worker's hostname. */
  host: z.string().min(1).optional(),
  /** Task queue of the worker on the host that holds the data. */
  taskQueue: z.string().min(1).optional(),
  exclude: z.array(z.string().min(1)).optional(),
  tags: z.array(z.string().min(1)).optional(),
  /** The file-set journal of this source (`meridian apply` keeps its workflow running): a segment every interval. */
  journal: z.strictObject({ interval: DurationMs.refine((ms) => ms >= 1000 && ms % 1000 === 0, 'whole seconds, at least 1s').optional() }).optional(),
});

/** A retention policy of `meridian forget`, plus how it groups and which calendar it counts in. */
export const PolicyEntrySchema = z.strictObject({
  ...RetentionPolicySchema.shape,
  groupBy: z.enum(GROUP_BY).optional(),
  timezone: TimeZone.optional(),
});

export const TEMPLATES = ['hourly', 'daily', 'weekly', 'monthly'] as const;
export type Template = (typeof TEMPLATES)[number];

/** When a schedule fires, what happens when a run is still going, and whether it is on. */
const Timing = {
  template: z.enum(TEMPLATES).optional(),
  cron: CronExpression.optional(),
  /** Test and fleet use: a fixed interval such as `30s` or `15m` instead of a calendar. */
  every: DurationMs.refine((ms) => ms >= 1000, 'an interval of at least 1s').optional(),
  /** IANA time zone of template and cron times; default UTC. */
  timezone: TimeZone.optional(),
  /** Random delay up to this much after each fire time, so a fleet does not start at the same second. */
  jitter: DurationMs.optional(),
  /** A run still going when the next is due: skip the new one (default) or buffer one. */
  overlap: z.enum(['skip', 'buffer-one']).optional(),
  /** How late (e.g. after the Temporal server was down) a missed run still starts; default 1h. */
  catchupWindow: DurationMs.optional(),
  /** Notification channels (names in `notifications`) told of a failed run; default every channel that wants the event. */
  notify: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a notification channel name (URLs and addresses are set in notifications:)')).min(1).optional(),
  enabled: z.boolean().optional(),
};

const WHEN_KEYS = ['template', 'cron', 'every'] as const;

/** A schedule gives exactly one of template, cron and every; the error names the key to remove or add. */
function exactlyOneWhen(entry: Partial<Record<(typeof WHEN_KEYS)[number], unknown>>, ctx: z.RefinementCtx): void {
  const given = WHEN_KEYS.filter((key) => entry[key] !== undefined);
  if (given.length === 0) ctx.addIssue({ code: 'custom', message: 'a schedule needs one of template, cron or every' });
  if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give only one of template, cron or every (found ${given.join(' and ')})` });
}

export const BackupScheduleSchema = z.strictObject({
  ...Timing,
  /** A source name of this file. */
  source: ConfigName,
  type: z.enum(['full', 'incremental', 'differential']).optional(),
  /** A policy name of this file: forget after each backup, over this source's snapshots only. */
  policy: ConfigName.optional(),
  /** Prune after the forget of every N-th run. */
  prune: z.strictObject({ every: z.number().int().positive(), maxUnusedPercent: z.number().min(0).max(100).optional() }).optional(),
  tags: z.array(z.string().min(1)).optional(),
}).superRefine(exactlyOneWhen);

export const ScrubScheduleSchema = z.strictObject({
  ...Timing,
  /** A repository name of this file. */
  repository: ConfigName,
  scrub: z.strictObject({
    /** Every pack is read at least once every `cycle` runs (1/cycle of the packs per run). */
    cycle: z.number().int().positive().max(10_000),
    /** At most this many pack bytes read per run; the rest of its share carries over. */
    budgetBytes: ByteSize.optional(),
  }),
}).superRefine(exactlyOneWhen);

/**
 * A schedule: a scrub schedule when it has a `scrub` key, else a backup schedule. Each is validated
 * against its own schema alone, so that an error names the real key instead of the union's
 * "Invalid input".
 */
export const ScheduleEntrySchema = z.unknown().transform((value, ctx): z.infer<typeof BackupScheduleSchema> | z.infer<typeof ScrubScheduleSchema> => {
  const scrub = typeof value === 'object' && value !== null && 'scrub' in value;
  const parsed = (scrub ? ScrubScheduleSchema : BackupScheduleSchema).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

export const REPLICATION_MODES = ['async', 'sync', 'quorum'] as const;
export type ReplicationMode = (typeof REPLICATION_MODES)[number];

/**
 * A replica set: the primary repository and its replicas (the same repository in other regions).
 * `async` copies after each backup and on the set's Schedule (`meridian:replication-<name>`, every
 * hour unless template/cron/every says otherwise); `sync` commits a backup's snapshot only when
 * every replica holds its data; `quorum` when K repositories do, the primary counted.
 */
export const ReplicationEntrySchema = z
  .strictObject({
    primary: ConfigName,
    replicas: z.array(ConfigName).min(1, 'a replica set needs at least one replica'),
    mode: z.enum(REPLICATION_MODES).default('async'),
    /** quorum mode: K of N = 1 + replicas repositories, the primary always one of them (2 ≤ K ≤ N). */
    quorum: z.number().int().min(2).optional(),
    /** Files deleted on the primary (forget, prune) are deleted on replicas this many hours later. */
    deleteGraceHours: z.number().min(0).default(24),
    /** sync and quorum: how long a backup waits for replicas before it fails; default 10m. */
    syncTimeout: DurationMs.optional(),
    /** Files copied at once to each replica; default 8. */
    concurrency: z.number().int().min(1).max(64).optional(),
    template: Timing.template,
    cron: Timing.cron,
    every: Timing.every,
    timezone: Timing.timezone,
    jitter: Timing.jitter,
    enabled: Timing.enabled,
  })
  .superRefine((entry, ctx) => {
    const given = WHEN_KEYS.filter((key) => entry[key] !== undefined);
    if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `give only one of template, cron or every (found ${given.join(' and ')})` });
    if (entry.replicas.includes(entry.primary)) ctx.addIssue({ code: 'custom', path: ['replicas'], message: `the primary "${entry.primary}" cannot also be a replica` });
    const twice = entry.replicas.find((name, i) => entry.replicas.indexOf(name) !== i);
    if (twice !== undefined) ctx.addIssue({ code: 'custom', path: ['replicas'], message: `"${twice}" is listed twice` });
    if (entry.mode === 'quorum' && entry.quorum === undefined) ctx.addIssue({ code: 'custom', path: ['quorum'], message: 'quorum mode needs quorum: K (repositories that must hold a backup, the primary counted)' });
    if (entry.mode !== 'quorum' && entry.quorum !== undefined) ctx.addIssue({ code: 'custom', path: ['quorum'], message: `quorum is only for mode: quorum (this set is ${entry.mode})` });
    if (entry.quorum !== undefined && entry.quorum > entry.replicas.length + 1) {
      ctx.addIssue({ code: 'custom', path: ['quorum'], message: `quorum ${entry.quorum} is more than the set's ${entry.replicas.length + 1} repositories` });
    }
  });

/** Whether `url` has no user:password part (an unparsable one is left to the other checks). */
function withoutCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username === '' && parsed.password === '';
  } catch {
    return true;
  }
}

/** An HTTP check of the platform's own endpoint, run with a region's storage probes. */
export const HttpCheckSchema = z.strictObject({
  /** The region whose health this check counts toward. */
  region: z.string().min(1),
  url: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'an http(s) URL')
    .refine(withoutCredentials, 'a check URL may not hold credentials (user:password@): they would be kept in the monitor\'s history'),
  /** The status a healthy endpoint answers; default 200. */
  expectStatus: z.number().int().min(100).max(599).default(200),
  /** Default 5s. */
  timeout: DurationMs.optional(),
});

/**
 * A failover monitor (`failover:<name>`, started by `meridian apply`): the replica set it moves,
 * its original primary region and the secondaries in the order they are tried. The regions are the
 * `region` labels of the set's repositories, one repository per region.
 */
export const FailoverEntrySchema = z
  .strictObject({
    /** A replica set of this file. */
    replication: ConfigName,
    primaryRegion: z.string().min(1),
    secondaryRegions: z.array(z.string().min(1)).min(1, 'a failover needs at least one secondary region'),
    autoFailover: z.boolean().default(true),
    autoFailback: z.boolean().default(false),
    healthCheckIntervalSecs: z.number().positive().default(30),
    /** Consecutive failed checks of the active region before an automatic failover. */
    failoverThreshold: z.number().int().min(1).default(3),
    /** Consecutive healthy checks of the original primary before failback (or before it is reported possible). */
    failbackThreshold: z.number().int().min(1).default(5),
    /** No automatic failover to a secondary whose replication lag exceeds this: an alert, and a manual decision. */
    maxLagOnFailoverSeconds: z.number().min(0).optional(),
    /** How long a storage probe (write, read back, delete a canary) may take; default 10s. */
    probeTimeout: DurationMs.optional(),
    checks: z.array(HttpCheckSchema).optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.secondaryRegions.includes(entry.primaryRegion)) ctx.addIssue({ code: 'custom', path: ['secondaryRegions'], message: `the primary region "${entry.primaryRegion}" cannot also be a secondary` });
    const twice = entry.secondaryRegions.find((name, i) => entry.secondaryRegions.indexOf(name) !== i);
    if (twice !== undefined) ctx.addIssue({ code: 'custom', path: ['secondaryRegions'], message: `"${twice}" is listed twice` });
  });

/**
 * An SLA over sources: RPO (now − newest good snapshot) and RTO (the latest measured recovery)
 * against targets, evaluated by the SLA monitor (`sla-monitor`, started by `meridian apply`).
 * `repositories: [R]` means every source of this file whose repository is R.
 */
export const SlaEntrySchema = z
  .strictObject({
    sources: z.array(ConfigName).min(1).optional(),
    repositories: z.array(ConfigName).min(1).optional(),
    rpoMinutes: z.number().positive(),
    rtoMinutes: z.number().positive(),
    enabled: z.boolean().default(true),
    /** Notification channels for this SLA's violations (started, resolved); default every channel. */
    notify: z.array(ConfigName).min(1, 'name at least one channel, or leave notify out for every channel').optional(),
    /** Runbooks whose finished executions measure this SLA's RTO (besides restores of its sources). */
    runbooks: z.array(ConfigName).optional(),
    /** An RTO measured longer ago than this is untested, so not compliant; default 30d. */
    rtoTestedWithin: DurationMs.optional(),
  })
  .superRefine((entry, ctx) => {
    if ((entry.sources === undefined) === (entry.repositories === undefined)) ctx.addIssue({ code: 'custom', message: 'an SLA names either sources or repositories (one of them)' });
  });

const EmailAddress = z.string().regex(/^[^@\s]+@[^@\s]+$/, 'an email address');

/** A place to send events: a signed webhook or email through an SMTP server. Secrets are files. */
export const NotificationChannelSchema = z
  .strictObject({
    webhook: z
      .strictObject({
        url: z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL'),
        /** The file whose first line is the HMAC-SHA-256 signing secret. */
        secretFile: z.string().min(1),
      })
      .optional(),
    email: z
      .strictObject({
        to: z.union([EmailAddress, z.array(EmailAddress).min(1)]),
        from: EmailAddress,
        /** smtp://host:port or smtps://host:port, without credentials (they come from the files). */
        smtp: z
          .string()
          .regex(/^smtps?:\/\/\S+$/, 'an smtp:// or smtps:// URL')
          .refine(withoutCredentials, 'an SMTP URL may not hold credentials: give userFile and passwordFile'),
        userFile: z.string().min(1).optional(),
        passwordFile: z.string().min(1).optional(),
      })
      .optional(),
    /** Events below this severity are not sent here; default info (everything). */
    minSeverity: z.enum(SEVERITIES).default('info'),
    /** Only these kinds of event; default every kind. */
    events: z.array(z.enum(EVENT_KINDS)).min(1).optional(),
  })
  .superRefine((entry, ctx) => {
    if ((entry.webhook === undefined) === (entry.email === undefined)) ctx.addIssue({ code: 'custom', message: 'a notification channel is either webhook or email (one of them)' });
  });

/** `host:port` to listen on. */
const BindAddress = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, such as 127.0.0.1:9090');

/** Prometheus metrics of `meridian server` and the Temporal SDK's worker metrics. */
export const MetricsSettingsSchema = z.strictObject({
  /** A listener of its own for GET /metrics; default: served on the API's listener. */
  bind: BindAddress.optional(),
  /** The file whose first line is the bearer token /metrics asks for; default no auth. */
  tokenFile: z.string().min(1).optional(),
  /** Where the Temporal SDK serves its worker metrics (Runtime telemetry); default off. */
  temporalBind: BindAddress.optional(),
});

/** How often the SLA monitor evaluates. */
export const MonitoringSettingsSchema = z.strictObject({
  /** Default 60s. */
  slaInterval: DurationMs.refine((ms) => ms >= 1000, 'an interval of at least 1s').optional(),
});

/** The HTTP API's named tokens: who calls is the token's name (runbook approvals record it). */
export const ApiSettingsSchema = z.strictObject({
  tokens: z.record(ConfigName, z.strictObject({ /** The file whose first line is the token. */ file: z.string().min(1) })).default({}),
  /** Where `meridian server` listens; default 127.0.0.1:8080 (`--port` overrides the port). */
  bind: BindAddress.optional(),
  /**
   * The URL browsers use to reach the dashboard when a reverse proxy fronts the server (such as
   * https://meridian.example.com): a dashboard POST must carry its origin, and the session cookie
   * is Secure when it is https. Unset: the origin of the request as the server received it.
   */
  publicUrl: z.url({ protocol: /^https?$/, error: 'an http(s) URL, such as https://meridian.example.com' }).optional(),
});

export const TemporalSettingsSchema = z.strictObject({
  address: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  taskQueue: z.string().min(1).optional(),
});

export const MeridianConfigSchema = z.strictObject({
  temporal: TemporalSettingsSchema.optional(),
  repositories: z.record(ConfigName, RepositoryEntrySchema).default({}),
  sources: z.record(ConfigName, SourceEntrySchema).default({}),
  policies: z.record(ConfigName, PolicyEntrySchema).default({}),
  schedules: z.record(ConfigName, ScheduleEntrySchema).default({}),
  replication: z.record(ConfigName, ReplicationEntrySchema).default({}),
  failover: z.record(ConfigName, FailoverEntrySchema).default({}),
  runbooks: z.record(ConfigName, RunbookSchema).default({}),
  api: ApiSettingsSchema.optional(),
  slas: z.record(ConfigName, SlaEntrySchema).default({}),
  notifications: z.record(ConfigName, NotificationChannelSchema).default({}),
  metrics: MetricsSettingsSchema.optional(),
  monitoring: MonitoringSettingsSchema.optional(),
});

export type MeridianConfig = z.infer<typeof MeridianConfigSchema>;
export type RepositoryEntry = z.infer<typeof RepositoryEntrySchema>;
export type SourceEntry = z.infer<typeof SourceEntrySchema>;
export type PolicyEntry = z.infer<typeof PolicyEntrySchema>;
export type BackupScheduleEntry = z.infer<typeof BackupScheduleSchema>;
export type ScrubScheduleEntry = z.infer<typeof ScrubScheduleSchema>;
export type ScheduleEntry = z.infer<typeof ScheduleEntrySchema>;
export type ReplicationEntry = z.infer<typeof ReplicationEntrySchema>;
export type FailoverEntry = z.infer<typeof FailoverEntrySchema>;
export type HttpCheck = z.infer<typeof HttpCheckSchema>;
export type ApiSettings = z.infer<typeof ApiSettingsSchema>;
export type SlaEntry = z.infer<typeof SlaEntrySchema>;
export type NotificationChannel = z.infer<typeof NotificationChannelSchema>;
export type MetricsSettings = z.infer<typeof MetricsSettingsSchema>;

export function isScrubSchedule(entry: ScheduleEntry): entry is ScrubScheduleEntry {
  return 'scrub' in entry;
}
