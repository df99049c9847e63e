// Starting operations and reading their state through @temporalio/client, shared by the HTTP
// API and the CLI: readable workflow ids, search attributes for Temporal UI, and an operation
// view that merges the workflow's progress query with the running activity's heartbeat.

import { Client, WorkflowExecutionStatusName, WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { parseRepositoryUrl } from '../storage/open.js';
import {
  BackupInput,
  DEFAULT_TASK_QUEUE,
  Operation,
  operationWorkflowId,
  progressQuery,
  RepairInput,
  RestoreInput,
  SEARCH_ATTRIBUTES,
  VerifyInput,
  WORKFLOW_TYPES,
  WorkflowProgress,
} from '../workflows/shared.js';

const operationKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.operation, SearchAttributeType.KEYWORD);
const repositoryKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.repository, SearchAttributeType.KEYWORD);
const sourceKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.source, SearchAttributeType.KEYWORD);

export type OperationInput = { backup: BackupInput; restore: RestoreInput; verify: VerifyInput; 'repair-index': RepairInput; 'repair-snapshots': RepairInput };

/** Starts an operation's workflow and returns its handle; the workflow id says what it is. */
export async function startOperation<O extends Operation>(
  client: Client,
  operation: O,
  input: OperationInput[O],
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<WorkflowHandle> {
  const repo = parseRepositoryUrl(input.repo).display;
  const subject = operationSubject(operation, input);
  return client.workflow.start(WORKFLOW_TYPES[operation], {
    taskQueue,
    workflowId: operationWorkflowId(operation, repo, subject, new Date()),
    args: [input],
    typedSearchAttributes: new TypedSearchAttributes([
      { key: operationKey, value: operation },
      { key: repositoryKey, value: repo },
      { key: sourceKey, value: subject },
    ]),
  });
}

/** What an operation is about, for its workflow id and search attribute: a path, a snapshot or 'all'. */
function operationSubject<O extends Operation>(operation: O, input: OperationInput[O]): string {
  if (operation === 'backup') return (input as BackupInput).path;
  if (operation === 'restore') return (input as RestoreInput).snapshot;
  if (operation === 'verify') return (input as VerifyInput).snapshot ?? 'all';
  return 'all';
}

export type OperationStatus = 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed_out';

export interface OperationView {
  workflowId: string;
  operation: string;
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

/** The state of an operation by workflow id: status, live progress, result or error. */
export async function describeOperation(client: Client, workflowId: string): Promise<OperationView> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const status = STATUS[description.status.name] ?? 'running';
  const operation = String(description.typedSearchAttributes.get(operationKey) ?? description.type);
  const view: OperationView = { workflowId, operation, status };
  if (status === 'running') {
    view.progress = { ...(await queryProgress(handle)), ...heartbeatOf(description.raw.pendingActivities) };
  } else if (status === 'completed') {
    view.result = await handle.result();
  } else if (status === 'failed') {
    view.error = await failureOf(handle);
  } else {
    view.error = { message: `the workflow was ${status}` };
  }
  return view;
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

type PendingActivities = Awaited<ReturnType<WorkflowHandle['describe']>>['raw']['pendingActivities'];

/** The latest heartbeat of the running activity, plus its attempt and last failure, if any. */
function heartbeatOf(pending: PendingActivities): Record<string, unknown> {
  const activity = pending?.[0];
  if (!activity) return {};
  const payload = activity.heartbeatDetails?.payloads?.[0];
  const details = payload ? (defaultPayloadConverter.fromPayload(payload) as Record<string, unknown>) : {};
  const lastFailure = activity.lastFailure?.message;
  return { ...details, activityAttempt: activity.attempt ?? 1, ...(lastFailure ? { lastFailure } : {}) };
}

async function failureOf(handle: WorkflowHandle): Promise<{ type?: string; message: string }> {
  try {
    await handle.result();
    return { message: 'the workflow failed' };
  } catch (err) {
    return describeFailure(err);
  }
}

/** The innermost cause of a workflow failure: the activity's ApplicationFailure, usually. */
export function describeFailure(err: unknown): { type?: string; message: string } {
  let cause: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const type = cause && typeof cause === 'object' && 'type' in cause ? (cause as { type?: string }).type ?? undefined : undefined;
  return { type, message: cause instanceof Error ? cause.message : String(cause) };
}
