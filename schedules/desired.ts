// The Temporal Schedules a loaded meridian.yaml describes: for each `schedules:` entry its id,
// spec (template/cron/every, time zone, jitter), action (start scheduledBackupWorkflow or
// scrubWorkflow with names from the file, never secrets), policies and paused state, and a digest
// of all of that, which `meridian apply` stores on the Schedule's action memo and compares.

import { createHash } from 'node:crypto';
import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction, ScheduleSpec, Workflow } from '@temporalio/client';
import { isScrubSchedule, type BackupScheduleEntry, type MeridianConfig, type ScheduleEntry, type ScrubScheduleEntry } from '../config/schema.js';
import { invalidArgument } from '../core/errors.js';
import type { ScheduledBackupInput, ScrubInput } from '../workflows/shared.js';
import { SCHEDULE_DIGEST_MEMO, scheduledRunWorkflowId, scheduleId } from './names.js';
import { DEFAULT_CATCHUP_WINDOW_MS, DEFAULT_OVERLAP, TEMPLATE_CRON } from './templates.js';

/** Workflow types a Schedule starts (registered by the worker's workflow bundle). */
export const SCHEDULED_BACKUP_WORKFLOW = 'scheduledBackupWorkflow';
export const SCRUB_WORKFLOW = 'scrubWorkflow';

/** The paused note of a schedule with `enabled: false`. */
export const DISABLED_NOTE = 'disabled in meridian.yaml';

export type ScheduleKind = 'backup' | 'scrub';

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

/** The desired Schedules of `config`, sorted by name; their runs go to `taskQueue` (the workers' queue). */
export function desiredSchedules(config: MeridianConfig, taskQueue: string): DesiredSchedule[] {
  return Object.keys(config.schedules)
    .sort()
    .map((name) => desiredSchedule(config, name, config.schedules[name]!, taskQueue));
}

function desiredSchedule(config: MeridianConfig, name: string, entry: ScheduleEntry, taskQueue: string): DesiredSchedule {
  const kind: ScheduleKind = isScrubSchedule(entry) ? 'scrub' : 'backup';
  const input = isScrubSchedule(entry) ? scrubInput(name, entry) : scheduledBackupInput(config, name, entry);
  const spec = scheduleSpec(entry);
  const enabled = entry.enabled ?? true;
  const policies = {
    overlap: (entry.overlap ?? DEFAULT_OVERLAP) === 'skip' ? ('SKIP' as const) : ('BUFFER_ONE' as const),
    catchupWindow: entry.catchupWindow ?? DEFAULT_CATCHUP_WINDOW_MS,
    pauseOnFailure: false,
  };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: kind === 'scrub' ? SCRUB_WORKFLOW : SCHEDULED_BACKUP_WORKFLOW,
    taskQueue,
    workflowId: scheduledRunWorkflowId(kind, name),
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
    summary: `${whenText(entry)} → ${isScrubSchedule(entry) ? `scrub ${entry.repository} (1/${entry.scrub.cycle} of the packs per run)` : `backup ${entry.source}`}`,
  };
}

/** When the entry fires, as a Temporal spec: a template's or the entry's cron, or a fixed interval. */
export function scheduleSpec(entry: ScheduleEntry): ScheduleSpec {
  const jitter = entry.jitter ? { jitter: entry.jitter } : {};
  if (entry.every !== undefined) return { intervals: [{ every: entry.every }], ...jitter };
  const cron = entry.template ? TEMPLATE_CRON[entry.template] : entry.cron;
  if (cron === undefined) throw invalidArgument('a schedule needs one of template, cron or every');
  return { cronExpressions: [cron], timezone: entry.timezone ?? 'UTC', ...jitter };
}

/** `hourly (0 * * * *) Europe/Berlin`, `cron (15 1 * * *) UTC`, `every 1s`; with `+ jitter 5m` when set. */
function whenText(entry: ScheduleEntry): string {
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
      ...(source.host ? { host: source.host } : {}),
      ...(source.taskQueue ? { dataTaskQueue: source.taskQueue } : {}),
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

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
