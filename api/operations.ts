// Starting operations and reading their state through @temporalio/client, shared by the HTTP
// API and the CLI: readable workflow ids, search attributes and a summary for Temporal UI (from
// the operation catalog), and an operation view that merges the workflow's progress query with
// the running activity's heartbeat.

import { Client, WorkflowExecutionStatusName, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, TypedSearchAttributes, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import {
  Operation,
  OperationInput,
  operationOfWorkflowType,
  operationStart,
} from '../workflows/catalog.js';
import { REPLICATION_VERIFY_WORKFLOW } from '../workflows/replicationDefs.js';
import { ControlError } from '../control/errors.js';
import { describeFailure, OperationRunningError } from './operationFailures.js';
import { operationProgress, type RunningActivity } from './operationProgress.js';
import { DEFAULT_TASK_QUEUE, progressQuery, WorkflowProgress } from '../workflows/shared.js';

export { describeFailure, OperationRunningError };

/**
 * Starts an operation's workflow and returns its handle; the workflow id says what it is. An
 * operation the catalog runs one per repository gets the repository's workflow id, which Temporal
 * refuses while a run with it is open: then OperationRunningError names that run.
 */
export async function startOperation<O extends Operation>(
  client: Client,
  operation: O,
  input: OperationInput<O>,
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<WorkflowHandle> {
  const { workflowType, workflowId, onePerRepository, searchAttributes, summary } = operationStart(operation, input, new Date());
  try {
    return await client.workflow.start(workflowType, {
      taskQueue,
      workflowId,
      // The defaults, said out loud: a closed run's id may be reused, an open one's may not.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      args: [input],
      // The workflow sets the same attributes itself (for runs started elsewhere); set here too, a
      // run is findable before a worker picks it up.
      typedSearchAttributes: new TypedSearchAttributes(searchAttributes),
      staticSummary: summary,
    });
  } catch (err) {
    if (onePerRepository && err instanceof WorkflowExecutionAlreadyStartedError) throw new OperationRunningError(operation, workflowId);
    throw err;
  }
}

export type OperationStatus = 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed_out';

/** Workflows outside the catalog that are read as operations too: a replica set's verification (replication/control.ts). */
const TRACKED_WORKFLOW_TYPES = { [REPLICATION_VERIFY_WORKFLOW]: 'replication-verify' } as const;
export type TrackedOperation = (typeof TRACKED_WORKFLOW_TYPES)[keyof typeof TRACKED_WORKFLOW_TYPES];
export const TRACKED_OPERATIONS: readonly TrackedOperation[] = Object.values(TRACKED_WORKFLOW_TYPES);

export interface OperationView {
  workflowId: string;
  operation: Operation | TrackedOperation;
  status: OperationStatus;
  progress?: unknown;
  result?: unknown;
  error?: { type?: string; message: string };
}

const STATUS: Partial<Record<WorkflowExecutionStatusName, OperationStatus>> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'running',
};

/** A workflow's status as the API and the CLI name it. */
export function operationStatus(status: WorkflowExecutionStatusName): OperationStatus {
  return STATUS[status] ?? 'running';
}

/**
 * The state of an operation by workflow id: status, live progress, result or error. The workflow
 * type says which operation it is (a catalog operation, or a replica set's verification), however
 * the run was started; a workflow that is no Meridian operation is not found. `ended` is the
 * result a wait has just read, given so that it is not read again.
 */
export async function describeOperation(client: Client, workflowId: string, ended?: { result: unknown }): Promise<OperationView> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const operation = operationOfDescription(workflowId, description);
  const status = operationStatus(description.status.name);
  const view: OperationView = { workflowId, operation, status };
  if (status === 'running') {
    view.progress = operationProgress(await queryProgress(handle), runningActivity(description.raw.pendingActivities));
  } else if (status === 'completed') {
    view.result = ended ? ended.result : await handle.result();
  } else if (status === 'failed') {
    view.error = await failureOf(handle);
  } else {
    view.error = { message: `the workflow was ${status}` };
  }
  return view;
}

type WorkflowDescription = Awaited<ReturnType<WorkflowHandle['describe']>>;

/** Which operation a workflow is; a workflow that is no Meridian operation is not found. */
function operationOfDescription(workflowId: string, description: WorkflowDescription): Operation | TrackedOperation {
  const operation = operationOfWorkflowType(description.type) ?? (TRACKED_WORKFLOW_TYPES as Record<string, TrackedOperation>)[description.type];
  if (!operation) throw new WorkflowNotFoundError(`workflow ${workflowId} is a ${description.type}, not a Meridian operation`, workflowId, undefined);
  return operation;
}

/**
 * The state of an operation as soon as it ends, or after `waitMs` if it still runs: a long poll
 * of the workflow's close event, so a client learns of the end when it happens rather than at its
 * next poll. A failure of the wait itself (its deadline, a failed workflow) only ends the wait.
 */
export async function awaitOperation(client: Client, workflowId: string, waitMs: number): Promise<OperationView> {
  const ended =
    waitMs > 0
      ? await client
          .withDeadline(Date.now() + waitMs, () => client.workflow.getHandle(workflowId).result())
          .then((result: unknown) => ({ result }))
          .catch(() => undefined)
      : undefined;
  // The result the wait read is not read from the history a second time.
  return describeOperation(client, workflowId, ended);
}

/** Asks a running operation's workflow to cancel; one that has ended is a conflict (ControlError rejected). */
export async function cancelOperation(client: Client, workflowId: string): Promise<{ workflowId: string; cancelRequested: true }> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  operationOfDescription(workflowId, description);
  const status = operationStatus(description.status.name);
  if (status !== 'running') throw new ControlError('rejected', `${workflowId} is not running (${status})`);
  await handle.cancel();
  return { workflowId, cancelRequested: true };
}

/** How long the progress query may wait: with no worker polling, the server would hold it ~30 s. */
const PROGRESS_QUERY_TIMEOUT_MS = 3000;

async function queryProgress(handle: WorkflowHandle): Promise<WorkflowProgress | undefined> {
  try {
    return await handle.client.withDeadline(Date.now() + PROGRESS_QUERY_TIMEOUT_MS, () => handle.query(progressQuery));
  } catch {
    return undefined; // no worker has picked the workflow up yet, or none answers now
  }
}

type PendingActivities = WorkflowDescription['raw']['pendingActivities'];

/** The first pending activity (an operation runs one at a time), its heartbeat decoded. */
function runningActivity(pending: PendingActivities): RunningActivity | undefined {
  const activity = pending?.[0];
  if (!activity) return undefined;
  const payload = activity.heartbeatDetails?.payloads?.[0];
  return { details: payload ? defaultPayloadConverter.fromPayload(payload) : undefined, attempt: activity.attempt ?? 1, lastFailure: activity.lastFailure?.message ?? undefined };
}

async function failureOf(handle: WorkflowHandle): Promise<{ type?: string; message: string }> {
  try {
    await handle.result();
    return { message: 'the workflow failed' };
  } catch (err) {
    return describeFailure(err);
  }
}
