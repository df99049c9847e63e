// The operator's view and control of the Schedules `meridian apply` owns (ids `meridian:<name>`),
// one module for `meridian schedule` and the HTTP API's /v1/schedules routes: list and describe
// them (spec in words, next runs, the last runs with their outcomes, the action counters), pause
// with a note, resume, trigger (with the Schedule's own overlap policy, never ALLOW_ALL) and
// backfill (BUFFER_ALL, so that backfilled runs run one after another). Other Schedules are
// neither listed nor touched.

import { type Client, ScheduleNotFoundError, type ScheduleDescription, type ScheduleHandle, type ScheduleOverlapPolicy } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { type OperationStatus, operationStatus } from '../api/operations.js';
import { invalidArgument, RepositoryError } from '../core/errors.js';
import { parseSnapshotTime, ZONED_SNAPSHOT_TIME_FORMAT } from '../core/snapshotTime.js';
import { ConfigName } from '../config/schema.js';
import { scheduleId, scheduleName } from './names.js';
import { DEFAULT_PAUSE_NOTE, RESUME_NOTE } from './notes.js';
import { specText } from './specText.js';

/**
 * The overlap policy of a backfill. All the backfilled times are due at once: SKIP would start the
 * first and drop the rest, BUFFER_ONE would keep one more; BUFFER_ALL queues every one and starts
 * each only when the previous run (and any run the Schedule started itself) has closed, so the
 * backfill is complete and never runs two of the Schedule's workflows at the same time.
 */
export const BACKFILL_OVERLAP = 'BUFFER_ALL' satisfies ScheduleOverlapPolicy;

/** The workflow types of the Schedules apply makes, by the kind of schedule in meridian.yaml. */
const KIND_OF_WORKFLOW: Record<string, string> = { scheduledBackupWorkflow: 'backup', scrubWorkflow: 'scrub', replicationTickWorkflow: 'replication', immutableMaintenanceWorkflow: 'immutable' };

/** How long `trigger` watches the Schedule for the action it requested to be taken or skipped. */
const TRIGGER_SETTLE_MS = 5000;
const TRIGGER_POLL_MS = 200;
/** How many Schedules are described at once by `list`. */
const DESCRIBE_CONCURRENCY = 8;

export interface ScheduleSummaryView {
  name: string;
  /** backup or scrub (the workflow type for a Schedule of another kind). */
  kind: string;
  /** The spec in words: `0 2 * * * Europe/Berlin`, `every 1s`. */
  spec: string;
  paused: boolean;
  /** The Schedule's note: why it is paused (also the last resume's note). */
  note?: string;
  /** ISO time of the next scheduled run; null when none is coming (or while paused, the one it would be). */
  nextRun: string | null;
}

/** A workflow's status, or `expired` once its history is gone (past the namespace's retention). */
export type RunOutcome = OperationStatus | 'expired';

export interface ScheduleRunView {
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  outcome: RunOutcome;
}

export interface ScheduleView extends ScheduleSummaryView {
  overlap: string;
  catchupWindowMs: number;
  /** The next 5 scheduled times (ISO). */
  nextRuns: string[];
  /** The last runs Temporal keeps (up to 10), oldest first, triggered and backfilled ones included. */
  recentRuns: ScheduleRunView[];
  /** Workflow ids of the runs still open. */
  openRuns: string[];
  actionsTaken: number;
  /** Scheduled times missed because the server could not take them within the catch-up window. */
  missedCatchupWindow: number;
  /** Scheduled (or triggered) times skipped because a run was still open. */
  skippedOverlap: number;
}

export type TriggerOutcome = 'started' | 'skipped' | 'queued';

export interface TriggerView {
  name: string;
  overlap: ScheduleOverlapPolicy;
  /** started: a run began (workflowId); skipped: a run was open and the policy skips; queued: not started yet (buffered behind an open run). */
  outcome: TriggerOutcome;
  workflowId?: string;
  openRuns: string[];
}

export interface PauseView {
  name: string;
  paused: boolean;
  note?: string;
}

export interface BackfillView {
  name: string;
  from: string;
  to: string;
  overlap: typeof BACKFILL_OVERLAP;
}

/** The owned Schedules, by name, as a list row each (described one by one: the list itself lags behind changes). */
export async function listSchedules(client: Client): Promise<ScheduleSummaryView[]> {
  const names: string[] = [];
  for await (const schedule of client.schedule.list()) {
    const name = scheduleName(schedule.scheduleId);
    if (name !== undefined) names.push(name);
  }
  names.sort();
  const rows: ScheduleSummaryView[] = [];
  for (let at = 0; at < names.length; at += DESCRIBE_CONCURRENCY) {
    const batch = names.slice(at, at + DESCRIBE_CONCURRENCY);
    const described = await Promise.all(batch.map((name) => client.schedule.getHandle(scheduleId(name)).describe().catch(deletedMeanwhile)));
    described.forEach((description, i) => description && rows.push(summaryOf(batch[i]!, description)));
  }
  return rows;
}

/** A Schedule deleted between the list and its describe is left out. */
function deletedMeanwhile(err: unknown): undefined {
  if (err instanceof ScheduleNotFoundError) return undefined;
  throw err;
}

export async function describeSchedule(client: Client, name: string): Promise<ScheduleView> {
  const description = await describeOwned(client, name);
  const { info, policies } = description;
  const recentRuns = await Promise.all(
    info.recentActions.map(async ({ scheduledAt, takenAt, action }) => ({
      scheduledAt: scheduledAt.toISOString(),
      takenAt: takenAt.toISOString(),
      workflowId: action.workflow.workflowId,
      outcome: await runOutcome(client, action.workflow.workflowId),
    })),
  );
  return {
    ...summaryOf(name, description),
    overlap: policies.overlap ?? 'SKIP',
    catchupWindowMs: policies.catchupWindow,
    nextRuns: info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()),
    recentRuns,
    openRuns: info.runningActions.map((action) => action.workflow.workflowId),
    actionsTaken: info.numActionsTaken,
    missedCatchupWindow: info.numActionsMissedCatchupWindow,
    skippedOverlap: info.numActionsSkippedOverlap,
  };
}

export async function pauseSchedule(client: Client, name: string, note = DEFAULT_PAUSE_NOTE): Promise<PauseView> {
  await withOwned(client, name, (handle) => handle.pause(note));
  return { name, paused: true, note };
}

export async function resumeSchedule(client: Client, name: string): Promise<PauseView> {
  await withOwned(client, name, (handle) => handle.unpause(RESUME_NOTE));
  return { name, paused: false, note: RESUME_NOTE };
}

/**
 * The overlap policy a trigger passes: the Schedule's own (the SDK's default for a trigger is
 * ALLOW_ALL, which would start a second run next to an open one). A Schedule set to ALLOW_ALL
 * (apply never makes one) is triggered with SKIP all the same.
 */
export function triggerOverlap(policy: ScheduleOverlapPolicy): ScheduleOverlapPolicy {
  return policy === undefined || policy === 'ALLOW_ALL' ? 'SKIP' : policy;
}

/**
 * Asks for a run now, with the Schedule's overlap policy, and watches the Schedule's counters for
 * up to 5 s to say what came of it: a run started (its workflow id), the trigger was skipped
 * because a run is open, or it is queued behind an open run (BUFFER_ONE).
 */
export async function triggerSchedule(client: Client, name: string): Promise<TriggerView> {
  const before = await describeOwned(client, name);
  const overlap = triggerOverlap(before.policies.overlap);
  await withOwned(client, name, (handle) => handle.trigger(overlap));
  const deadline = Date.now() + TRIGGER_SETTLE_MS;
  for (;;) {
    const now = await describeOwned(client, name);
    const openRuns = now.info.runningActions.map((action) => action.workflow.workflowId);
    if (now.info.numActionsTaken > before.info.numActionsTaken) {
      const newest = now.info.recentActions.reduce((a, b) => (b.takenAt >= a.takenAt ? b : a));
      return { name, overlap, outcome: 'started', workflowId: newest.action.workflow.workflowId, openRuns };
    }
    if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) return { name, overlap, outcome: 'skipped', openRuns };
    if (Date.now() >= deadline) return { name, overlap, outcome: 'queued', openRuns };
    await new Promise((resolve) => setTimeout(resolve, TRIGGER_POLL_MS));
  }
}

/** A backfill's window from two ISO 8601 times with a zone; `to` must be after `from`. */
export function backfillWindow(from: string, to: string): { from: Date; to: Date } {
  const at = (what: string, text: string) => {
    const time = parseSnapshotTime(text, { requireZone: true });
    if (time === undefined) throw invalidArgument(`${what} must be ${ZONED_SNAPSHOT_TIME_FORMAT} (got "${text}")`);
    return time;
  };
  const window = { from: at('--from', from), to: at('--to', to) };
  if (window.to <= window.from) throw invalidArgument(`--to (${to}) must be after --from (${from})`);
  return window;
}

/** Takes the runs of the times the spec gives in [from, to] as if that time passed now, one after another (BACKFILL_OVERLAP). */
export async function backfillSchedule(client: Client, name: string, window: { from: Date; to: Date }): Promise<BackfillView> {
  await withOwned(client, name, (handle) => handle.backfill({ start: window.from, end: window.to, overlap: BACKFILL_OVERLAP }));
  return { name, from: window.from.toISOString(), to: window.to.toISOString(), overlap: BACKFILL_OVERLAP };
}

function summaryOf(name: string, description: ScheduleDescription): ScheduleSummaryView {
  const { state, info, spec, action } = description;
  return {
    name,
    kind: KIND_OF_WORKFLOW[action.workflowType] ?? action.workflowType,
    spec: specText(spec),
    paused: state.paused,
    ...(state.note ? { note: state.note } : {}),
    nextRun: info.nextActionTimes[0]?.toISOString() ?? null,
  };
}

async function runOutcome(client: Client, workflowId: string): Promise<RunOutcome> {
  try {
    return operationStatus((await client.workflow.getHandle(workflowId).describe()).status.name);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'expired';
    throw err;
  }
}

function describeOwned(client: Client, name: string): Promise<ScheduleDescription> {
  return withOwned(client, name, (handle) => handle.describe());
}

/** Runs `act` on the owned Schedule `name`; a name that is not one, or no such Schedule, is a clear error. */
async function withOwned<T>(client: Client, name: string, act: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
  const valid = ConfigName.safeParse(name);
  if (!valid.success) throw invalidArgument(`"${name}" is not a schedule name: ${valid.error.issues[0]!.message}`);
  try {
    return await act(client.schedule.getHandle(scheduleId(name)));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new RepositoryError('not-found', `no schedule named "${name}" (meridian schedule list shows those meridian apply made)`, { cause: err });
    }
    throw err;
  }
}
