// The backup, restore, verify, forget, prune and repair workflows, the PostgreSQL
// base backup and restore to a time, and the restore of a file set to a time. Each runs its operation's heartbeating
// data-plane activity (workflows/catalog.ts names it; on the task queue of the host that holds
// the data, when given), describes itself (search attributes, memo, current details) from its
// input so that runs are findable however they were started, and answers a progress query;
// history stays a handful of events however many files are involved. A failed backup, restore,
// verify or prune raises its failure event, a verify that found damage (or a pg verify a WAL gap) raises damage-found,
// a backup whose changes look like ransomware at work raises suspected-ransomware.

import { isCancellation, patched, proxyActivities, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { Operation, OperationInput, OperationOutput, OPERATIONS, operationSearchAttributes, operationSubject, operationSummary, repositoryLabel } from './catalog.js';
import { dataPlaneOptions } from './activityOptions.js';
import type { EventKind } from './eventDefs.js';
import { raiseEvent, raisesEvents, runEventId } from './notifications.js';
import { triggerReplication } from './replicationTrigger.js';
import {
  BackupInput,
  BackupOutput,
  ForgetInput,
  ForgetOutput,
  progressQuery,
  ImmutableMaintenanceInput,
  KeyRotationInput,
  KeyRotationOutput,
  ImmutableMaintenanceOutput,
  PruneInput,
  PruneOutput,
  RepairIndexOutput,
  RepairInput,
  RepairSnapshotsOutput,
  RestoreInput,
  RestoreOutput,
  UnlockInput,
  UnlockOutput,
  VerifyInput,
  VerifyOutput,
  WorkflowProgress,
} from './shared.js';
import type { PgBackupInput, PgBackupOutput, PgRestoreInput, PgRestoreOutput, PgVerifyInput, PgVerifyOutput, RestoreAtInput, RestoreAtOutput } from './pointInTime.js';

/**
 * Patch id of the search-attribute and memo upserts: runs recorded before them (and histories
 * in test/replay/histories/*.before-self-description.json) replay without these commands.
 */
export const SELF_DESCRIPTION_PATCH = 'self-description';

/** What a workflow does with its activity's result before returning it (forget --prune prunes). */
type FollowUp<O extends Operation> = (result: OperationOutput<O>, activities: Activities) => Promise<OperationOutput<O>>;

async function runOperation<O extends Operation>(operation: O, input: OperationInput<O>, followUp?: FollowUp<O>): Promise<OperationOutput<O>> {
  const progress: WorkflowProgress = { operation, phase: 'running', startedAt: new Date(workflowInfo().startTime).toISOString() };
  setHandler(progressQuery, () => progress);
  const summary = operationSummary(operation, input);
  if (patched(SELF_DESCRIPTION_PATCH)) {
    upsertSearchAttributes(operationSearchAttributes(operation, input));
    upsertMemo({ operation, repository: repositoryLabel(input.repo), subject: operationSubject(operation, input), summary });
  }
  setCurrentDetails(`${summary}: running`);
  const activities = proxyActivities<Activities>(dataPlaneOptions(input.dataTaskQueue));
  // The catalog ties each operation to its activity, whose signature defines OperationInput/Output.
  const activity = activities[OPERATIONS[operation].activity] as unknown as (input: OperationInput<O>) => Promise<OperationOutput<O>>;
  try {
    const done = await activity(input);
    const result = followUp ? await followUp(done, activities) : done;
    progress.result = result;
    progress.phase = 'completed';
    setCurrentDetails(`${summary}: completed`);
    if (operation === 'verify' && !(result as VerifyOutput).ok && tellsItself()) await raiseDamage(input as VerifyInput, result as VerifyOutput);
    if (operation === 'backup' && (result as BackupOutput).suspectedRansomware && tellsItself() && patched(RANSOMWARE_ALERT_PATCH)) {
      await raiseEvent(suspicionEvent(input as BackupInput, result as BackupOutput));
    }
    return result;
  } catch (err) {
    progress.phase = 'failed';
    progress.error = innermostMessage(err);
    setCurrentDetails(`${summary}: failed: ${progress.error}`);
    const kind = FAILURE_EVENTS[operation];
    if (kind && !isCancellation(err) && tellsItself()) {
      await raiseEvent({ id: runEventId('failed'), kind, subject: operationSubject(operation, input), summary: `${summary} failed: ${progress.error}`, details: { operation, repository: repositoryLabel(input.repo) } });
    }
    throw err;
  }
}

/** The event a failed run of an operation raises (the others fail without one). */
const FAILURE_EVENTS: Partial<Record<Operation, EventKind>> = {
  backup: 'backup-failed',
  restore: 'restore-failed',
  verify: 'verify-failed',
  prune: 'prune-failed',
  'immutable-maintenance': 'immutable-maintenance-failed',
  'key-rotation': 'key-rotation-failed',
  'pg-backup': 'backup-failed',
  'pg-restore': 'restore-failed',
  'pg-verify': 'verify-failed',
  'restore-at': 'restore-failed',
};

/**
 * Whether this run tells operators what happened itself: not when it is a child (a scheduled
 * run tells its schedule's channels, a runbook raises its own finished event), nor when
 * replaying a history recorded before events.
 */
function tellsItself(): boolean {
  return workflowInfo().parent === undefined && raisesEvents();
}

/** A verify that found damaged or missing data: damage-found, with the first problem. */
async function raiseDamage(input: VerifyInput, report: VerifyOutput): Promise<void> {
  const repository = repositoryLabel(input.repo);
  const first = report.problems[0]?.message ?? 'problems found';
  await raiseEvent({
    id: runEventId('damage'),
    kind: 'damage-found',
    subject: repository,
    summary: `verify of ${repository} found ${report.problems.length === 1 ? 'a problem' : `${report.problems.length} problems`}; first: ${first}`,
    details: { operation: 'verify', repository, problems: report.problems.length, level: report.level },
  });
}

/** Patch id of the suspected-ransomware event after a backup: runs recorded before it replay without it. */
export const RANSOMWARE_ALERT_PATCH = 'suspected-ransomware-event';

/** A backup whose changes look like ransomware at work: suspected-ransomware, with the reasons and how to lift the hold. */
export function suspicionEvent(input: BackupInput, backup: BackupOutput): Parameters<typeof raiseEvent>[0] {
  const repository = repositoryLabel(input.repo);
  const reasons = backup.suspectedRansomware!.reasons;
  return {
    id: runEventId('ransomware'),
    kind: 'suspected-ransomware',
    subject: `${backup.source} into ${repository}`,
    // The way out first: a long summary is cut at its end, and the reasons are in the details too.
    summary: `backup of ${backup.source} into ${repository} looks like ransomware at work; forget keeps the source's older snapshots until "meridian alerts ack ${backup.snapshotId.slice(0, 8)} --repo ${repository}": ${reasons.join('; ')}`,
    details: { operation: 'backup', repository, snapshotId: backup.snapshotId, host: backup.host, source: backup.source, reasons: reasons.join('; ') },
  };
}

/** The message of the innermost cause: "Activity task failed" says less than the activity's own failure. */
export function innermostMessage(err: unknown): string {
  let cause = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Patch id of the replication trigger after a backup of a set's primary: runs recorded before it replay without its commands. */
export const REPLICATION_TRIGGER_PATCH = 'replication-trigger';

/** A backup; of a replica set's primary, then a request to the set's workflow for a pass (never failing the backup). */
export async function backupWorkflow(input: BackupInput): Promise<BackupOutput> {
  return runOperation('backup', input, async (backup) => {
    if (backup.replication === undefined || !patched(REPLICATION_TRIGGER_PATCH)) return backup;
    const { set, heldBy } = backup.replication;
    try {
      await triggerReplication(set, { reason: 'backup', snapshotId: backup.snapshotId, committedAt: new Date().toISOString(), bytesAdded: backup.bytesStored, heldBy });
      return backup;
    } catch (err) {
      return { ...backup, warnings: [...backup.warnings, `replication of set ${set} was not asked for a pass: ${innermostMessage(err)}`] };
    }
  });
}

export async function restoreWorkflow(input: RestoreInput): Promise<RestoreOutput> {
  return runOperation('restore', input);
}

export async function verifyWorkflow(input: VerifyInput): Promise<VerifyOutput> {
  return runOperation('verify', input);
}

/** A forget; with `prune`, then a prune of the repository (after the forget, in this workflow). */
export async function forgetWorkflow(input: ForgetInput): Promise<ForgetOutput> {
  return runOperation('forget', input, async (forgotten, activities) => {
    if (!input.prune) return forgotten;
    const pruneInput: PruneInput = { repo: input.repo, maxUnusedPercent: input.prune.maxUnusedPercent, dryRun: input.dryRun, dataTaskQueue: input.dataTaskQueue };
    return { ...forgotten, prune: await activities.pruneRepository(pruneInput) };
  });
}

export async function pruneWorkflow(input: PruneInput): Promise<PruneOutput> {
  return runOperation('prune', input);
}

/** The background half of a key rotation: every file sealed again under the new key, then the retired key destroyed (a rerun carries on where a failed one stopped). */
export async function keyRotationWorkflow(input: KeyRotationInput): Promise<KeyRotationOutput> {
  return runOperation('key-rotation', input);
}

/** One pass of an immutable repository's maintenance (a Schedule of `meridian apply` runs it before retentions run short). */
export async function immutableMaintenanceWorkflow(input: ImmutableMaintenanceInput): Promise<ImmutableMaintenanceOutput> {
  return runOperation('immutable-maintenance', input);
}

export async function repairIndexWorkflow(input: RepairInput): Promise<RepairIndexOutput> {
  return runOperation('repair-index', input);
}

export async function repairSnapshotsWorkflow(input: RepairInput): Promise<RepairSnapshotsOutput> {
  return runOperation('repair-snapshots', input);
}

export async function unlockWorkflow(input: UnlockInput): Promise<UnlockOutput> {
  return runOperation('unlock', input);
}

/** A PostgreSQL base backup (core/pgBaseBackup.ts): a deduplicated snapshot of the cluster's data directory. */
export async function pgBackupWorkflow(input: PgBackupInput): Promise<PgBackupOutput> {
  return runOperation('pg-backup', input);
}

/** A PostgreSQL cluster restored as of a time, recovery configured (and, when asked, run) up to it. */
export async function pgRestoreWorkflow(input: PgRestoreInput): Promise<PgRestoreOutput> {
  return runOperation('pg-restore', input);
}

/** A cluster's archived WAL checked for gaps (with retention, the WAL no kept base backup needs deleted); a gap raises damage-found. */
export async function pgVerifyWorkflow(input: PgVerifyInput): Promise<PgVerifyOutput> {
  return runOperation('pg-verify', input, async (report) => {
    if (!report.ok && tellsItself()) await raiseWalGap(input, report);
    return report;
  });
}

/** A gap in a cluster's archived WAL: damage-found, naming the first missing segment. */
async function raiseWalGap(input: PgVerifyInput, report: PgVerifyOutput): Promise<void> {
  const repository = repositoryLabel(input.repo);
  const first = report.gaps[0]!;
  await raiseEvent({
    id: runEventId('damage'),
    kind: 'damage-found',
    subject: `pg:${input.cluster}`,
    summary: `WAL of cluster ${input.cluster} in ${repository} has ${report.gaps.length === 1 ? 'a gap' : `${report.gaps.length} gaps`}; first: ${first.missing} missing after ${first.after}`,
    details: { operation: 'pg-verify', repository, cluster: input.cluster, gaps: report.gaps.length },
  });
}

/** A source restored as it was at a time, from its snapshot and change journal. */
export async function restoreAtWorkflow(input: RestoreAtInput): Promise<RestoreAtOutput> {
  return runOperation('restore-at', input);
}
