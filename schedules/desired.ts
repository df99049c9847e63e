// The Temporal Schedules a loaded meridian.yaml describes: for each `schedules:` entry its id,
// spec (template/cron/every, time zone, jitter), action (start scheduledBackupWorkflow or
// scrubWorkflow with names from the file, never secrets), policies and paused state, and a digest
// of all of that, which `meridian apply` stores on the Schedule's action memo and compares. Each
// `replication:` set adds the Schedule `meridian:replication-<set>`, whose runs ask the set's
// workflow for a pass (replicationTickWorkflow); each repository with `immutable:` adds
// `meridian:immutable-<repository>`, whose runs maintain it (immutableMaintenanceWorkflow) often
// enough that no retention of a file in use runs short.

import { createHash } from 'node:crypto';
import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction, ScheduleSpec, Workflow } from '@temporalio/client';
import { isScrubSchedule, type BackupScheduleEntry, type MeridianConfig, type ReplicationEntry, type ScheduleEntry, type ScrubScheduleEntry } from '../config/schema.js';
import { sourceRoute } from '../config/sourceRouting.js';
import { invalidArgument } from '../core/errors.js';
import { replicationScheduleName, type ReplicationWorkflowInput } from '../workflows/replicationDefs.js';
import type { ScheduledBackupInput, ScrubInput } from '../workflows/shared.js';
import { immutableScheduleName, SCHEDULE_DIGEST_MEMO, scheduledRunWorkflowId, scheduleId, type ScheduleKind } from './names.js';
import { renewalIntervalMs, type ImmutablePolicy } from '../core/immutablePolicy.js';
import type { ImmutableMaintenanceInput } from '../workflows/shared.js';
import { DEFAULT_CATCHUP_WINDOW_MS, DEFAULT_OVERLAP, TEMPLATE_CRON } from './templates.js';

/** Workflow types a Schedule starts (registered by the worker's workflow bundle). */
export const SCHEDULED_BACKUP_WORKFLOW = 'scheduledBackupWorkflow';
export const SCRUB_WORKFLOW = 'scrubWorkflow';
/** Asks a replica set's workflow for a pass (workflows/replication.ts). */
export const REPLICATION_TICK_WORKFLOW = 'replicationTickWorkflow';
export const IMMUTABLE_MAINTENANCE_WORKFLOW = 'immutableMaintenanceWorkflow';

const WORKFLOW_OF_KIND: Record<ScheduleKind, string> = {
  backup: SCHEDULED_BACKUP_WORKFLOW,
  scrub: SCRUB_WORKFLOW,
  replication: REPLICATION_TICK_WORKFLOW,
  immutable: IMMUTABLE_MAINTENANCE_WORKFLOW,
};

/** A replica set's Schedule when its entry gives no template, cron or every. */
export const DEFAULT_REPLICATION_EVERY_MS = 3_600_000;

/** The paused note of a schedule with `enabled: false`. */
export const DISABLED_NOTE = 'disabled in meridian.yaml';


/** When a Schedule fires: the timing keys schedule entries and replica sets share. */
type ScheduleTiming = Pick<ScheduleEntry, 'template' | 'cron' | 'every' | 'timezone' | 'jitter'>;

export interface DesiredSchedule {
  /** The entry's name in meridian.yaml. */
  name: string;
  /** The Temporal Schedule id (`meridian:<name>`). */
  id: string;
  kind: ScheduleKind;
  /** Everything Temporal needs but the Schedule's own memo (set at creation only). */
  options: Omit<ScheduleOptions, 'memo'> & {
    action: ScheduleOptionsStartWorkflowAction<Workflow> & { memo: { [SCHEDULE_DIGEST_MEMO]: string } };
    policies: NonNullable<ScheduleOptions['policies']>;
    state: { paused: boolean; note?: string };
  };
  /** sha256 of the canonical JSON of spec, action, policies and `enabled`. */
  digest: string;
  /** One line for the plan: `hourly (0 * * * *) Europe/Berlin → backup tiles`. */
  summary: string;
}

/** The desired Schedules of `config` (schedules and replica sets), sorted by name; their runs go to `taskQueue` (the workers' queue). */
export function desiredSchedules(config: MeridianConfig, taskQueue: string): DesiredSchedule[] {
  const schedules = Object.entries(config.schedules).map(([name, entry]) => entrySchedule(config, name, entry, taskQueue));
  const replication = Object.entries(config.replication).map(([set, entry]) => replicationSchedule(set, entry, taskQueue));
  const immutable = Object.entries(config.repositories).flatMap(([name, entry]) => (entry.immutable ? [immutableSchedule(name, entry.immutable, taskQueue)] : []));
  return [...schedules, ...replication, ...immutable].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function entrySchedule(config: MeridianConfig, name: string, entry: ScheduleEntry, taskQueue: string): DesiredSchedule {
  const scrub = isScrubSchedule(entry);
  return desiredSchedule({
    name,
    kind: scrub ? 'scrub' : 'backup',
    input: scrub ? scrubInput(name, entry) : scheduledBackupInput(config, name, entry),
    timing: entry,
    policies: { overlap: (entry.overlap ?? DEFAULT_OVERLAP) === 'skip' ? 'SKIP' : 'BUFFER_ONE', catchupWindow: entry.catchupWindow ?? DEFAULT_CATCHUP_WINDOW_MS },
    enabled: entry.enabled ?? true,
    what: scrub ? `scrub ${entry.repository} (1/${entry.scrub.cycle} of the packs per run)` : `backup ${entry.source}`,
    taskQueue,
  });
}

/** A replica set's Schedule: a pass every hour unless the set says when; a pass still going makes the next tick skip. */
function replicationSchedule(set: string, entry: ReplicationEntry, taskQueue: string): DesiredSchedule {
  const given = entry.template !== undefined || entry.cron !== undefined || entry.every !== undefined;
  const input: ReplicationWorkflowInput = { set };
  return desiredSchedule({
    name: replicationScheduleName(set),
    kind: 'replication',
    input,
    timing: given ? entry : { ...entry, every: DEFAULT_REPLICATION_EVERY_MS },
    policies: { overlap: 'SKIP', catchupWindow: DEFAULT_CATCHUP_WINDOW_MS },
    enabled: entry.enabled ?? true,
    what: `replicate ${entry.primary} to ${entry.replicas.join(', ')} (${entry.mode})`,
    taskQueue,
  });
}

/**
 * An immutable repository's maintenance: twice per renewal interval (core/immutablePolicy.ts), so
 * one run may fail or be skipped and the next still comes before any retention of a file in use
 * runs short; a run still going makes the next skip.
 */
function immutableSchedule(repository: string, policy: ImmutablePolicy, taskQueue: string): DesiredSchedule {
  const input: ImmutableMaintenanceInput = { repo: repository };
  return desiredSchedule({
    name: immutableScheduleName(repository),
    kind: 'immutable',
    input,
    timing: { every: renewalIntervalMs(policy) / 2 },
    policies: { overlap: 'SKIP', catchupWindow: DEFAULT_CATCHUP_WINDOW_MS },
    enabled: true,
    what: `maintain the immutable repository ${repository} (${policy.mode}, ${policy.days} days)`,
    taskQueue,
  });
}

interface ScheduleParts {
  name: string;
  kind: ScheduleKind;
  input: unknown;
  timing: ScheduleTiming;
  policies: { overlap: 'SKIP' | 'BUFFER_ONE'; catchupWindow: number };
  enabled: boolean;
  /** What a run does, for the plan's summary. */
  what: string;
  taskQueue: string;
}

function desiredSchedule({ name, kind, input, timing, enabled, what, taskQueue, ...parts }: ScheduleParts): DesiredSchedule {
  const spec = scheduleSpec(timing);
  const policies = { ...parts.policies, pauseOnFailure: false };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: WORKFLOW_OF_KIND[kind],
    taskQueue,
    workflowId: scheduledRunWorkflowId(kind, kind === 'replication' ? (input as ReplicationWorkflowInput).set : name),
    args: [input],
  };
  const digest = sha256(canonicalJson({ spec, action, policies, enabled }));
  return {
    name,
    id: scheduleId(name),
    kind,
    options: {
      scheduleId: scheduleId(name),
      spec,
      action: { ...action, memo: { [SCHEDULE_DIGEST_MEMO]: digest } },
      policies,
      state: enabled ? { paused: false } : { paused: true, note: DISABLED_NOTE },
    },
    digest,
    summary: `${whenText(timing)} → ${what}`,
  };
}

/** When the entry fires, as a Temporal spec: a template's or the entry's cron, or a fixed interval. */
export function scheduleSpec(entry: ScheduleTiming): ScheduleSpec {
  const jitter = entry.jitter ? { jitter: entry.jitter } : {};
  if (entry.every !== undefined) return { intervals: [{ every: entry.every }], ...jitter };
  const cron = entry.template ? TEMPLATE_CRON[entry.template] : entry.cron;
  if (cron === undefined) throw invalidArgument('a schedule needs one of template, cron or every');
  return { cronExpressions: [cron], timezone: entry.timezone ?? 'UTC', ...jitter };
}

/** `hourly (0 * * * *) Europe/Berlin`, `cron (15 1 * * *) UTC`, `every 1s`; with `+ jitter 5m` when set. */
function whenText(entry: ScheduleTiming): string {
  const jitter = entry.jitter ? ` + jitter ${entry.jitter / 1000}s` : '';
  if (entry.every !== undefined) return `every ${entry.every / 1000}s${jitter}`;
  const cron = entry.template ? TEMPLATE_CRON[entry.template] : entry.cron;
  return `${entry.template ?? 'cron'} (${cron}) ${entry.timezone ?? 'UTC'}${jitter}`;
}

/** A backup run's input: the source's path and repository name, the policy itself, no secrets. */
function scheduledBackupInput(config: MeridianConfig, name: string, entry: BackupScheduleEntry): ScheduledBackupInput {
  const source = config.sources[entry.source];
  if (!source) throw invalidArgument(`schedules.${name}.source: no source named "${entry.source}"`);
  const tags = [...(source.tags ?? []), ...(entry.tags ?? [])];
  const input: ScheduledBackupInput = {
    schedule: name,
    backup: {
      repo: source.repository,
      path: source.path,
      ...(entry.type ? { type: entry.type } : {}),
      ...(tags.length > 0 ? { tags: [...new Set(tags)] } : {}),
      ...(source.exclude?.length ? { exclude: source.exclude } : {}),
      ...sourceRoute(source),
    },
  };
  if (entry.policy !== undefined) {
    const policyEntry = config.policies[entry.policy];
    if (!policyEntry) throw invalidArgument(`schedules.${name}.policy: no policy named "${entry.policy}"`);
    const { groupBy, timezone, ...policy } = policyEntry;
    input.retention = { policy, ...(groupBy ? { groupBy } : {}), ...(timezone ? { timezone } : {}) };
  }
  if (entry.prune) input.prune = entry.prune;
  if (entry.notify?.length) input.notify = entry.notify;
  return input;
}

function scrubInput(name: string, entry: ScrubScheduleEntry): ScrubInput {
  return {
    schedule: name,
    repo: entry.repository,
    cycle: entry.scrub.cycle,
    ...(entry.scrub.budgetBytes !== undefined ? { budgetBytes: entry.scrub.budgetBytes } : {}),
    ...(entry.notify?.length ? { notify: entry.notify } : {}),
  };
}

/** JSON with object keys sorted at every level and undefined members left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
