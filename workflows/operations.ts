// The backup, restore, verify and repair workflows. Each runs one heartbeating data-plane activity
// (on the task queue of the host that holds the data, when given) and answers a progress
// query; history stays a handful of events however many files are involved.

import { ActivityCancellationType, ActivityOptions, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { DATA_PLANE_RETRY } from './failurePolicy.js';
import {
  BackupInput,
  BackupOutput,
  Operation,
  progressQuery,
  RepairIndexOutput,
  RepairInput,
  RepairSnapshotsOutput,
  RestoreInput,
  RestoreOutput,
  VerifyInput,
  VerifyOutput,
  WorkflowProgress,
} from './shared.js';

/**
 * Data-plane activities: long, heartbeating, retried by the failure policy (bounded, with backoff).
 * A canceled workflow waits for its activity to stop (it learns of the cancellation from its next
 * heartbeat), so a run that reads "canceled" no longer writes to the repository or the target.
 */
const dataPlane: ActivityOptions = {
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '20 seconds',
  retry: DATA_PLANE_RETRY,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
};

function activitiesOn(taskQueue: string | undefined) {
  return proxyActivities<Activities>(taskQueue ? { ...dataPlane, taskQueue } : dataPlane);
}

async function tracked<T extends WorkflowProgress['result']>(operation: Operation, run: () => Promise<T>): Promise<T> {
  const progress: WorkflowProgress = { operation, phase: 'running', startedAt: new Date(workflowInfo().startTime).toISOString() };
  setHandler(progressQuery, () => progress);
  try {
    progress.result = await run();
    progress.phase = 'completed';
    return progress.result as T;
  } catch (err) {
    progress.phase = 'failed';
    progress.error = innermostMessage(err);
    throw err;
  }
}

/** The message of the innermost cause: "Activity task failed" says less than the activity's own failure. */
function innermostMessage(err: unknown): string {
  let cause = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function backupWorkflow(input: BackupInput): Promise<BackupOutput> {
  return tracked('backup', () => activitiesOn(input.dataTaskQueue).backupSnapshot(input));
}

export async function restoreWorkflow(input: RestoreInput): Promise<RestoreOutput> {
  return tracked('restore', () => activitiesOn(input.dataTaskQueue).restoreSnapshot(input));
}

export async function verifyWorkflow(input: VerifyInput): Promise<VerifyOutput> {
  return tracked('verify', () => activitiesOn(input.dataTaskQueue).verifyRepository(input));
}

export async function repairIndexWorkflow(input: RepairInput): Promise<RepairIndexOutput> {
  return tracked('repair-index', () => activitiesOn(input.dataTaskQueue).repairIndex(input));
}

export async function repairSnapshotsWorkflow(input: RepairInput): Promise<RepairSnapshotsOutput> {
  return tracked('repair-snapshots', () => activitiesOn(input.dataTaskQueue).repairSnapshots(input));
}
