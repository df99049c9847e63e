// The one reconciler of the long-running workflows `meridian apply` keeps (each replica set's
// workflow, each failover monitor, the SLA monitor): is it running (and with which memo), what its
// latest reload signal carried, start it when it is not (a start racing another is taken as it
// is), terminate it (one that closed meanwhile is fine). What each keeps, reloads or stops is
// decided by its own plan.

import { type Client, WorkflowNotFoundError } from '@temporalio/client';

/** A running workflow as apply sees it. */
export interface RunningWorkflow {
  runId: string;
  memo: Record<string, unknown>;
}

/** What to start. */
export interface LongRunningStart {
  workflowType: string;
  workflowId: string;
  input: unknown;
  staticSummary: string;
  memo?: Record<string, unknown>;
}

/** The running execution of `workflowId`; undefined when none runs. */
export async function runningWorkflow(client: Client, workflowId: string): Promise<RunningWorkflow | undefined> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? { runId: description.runId, memo: description.memo ?? {} } : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * The argument of the latest `signalName` signal of run `runId` (one no worker has handled yet
 * counts), or undefined when it got none: what apply asked of it last.
 */
export async function lastSignalled(client: Client, workflowId: string, runId: string, signalName: string): Promise<unknown> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  let sent: unknown;
  for (const event of history.events ?? []) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName !== signalName) continue;
    const payload = signal.input?.payloads?.[0];
    sent = payload ? client.options.loadedDataConverter.payloadConverter.fromPayload(payload) : undefined;
  }
  return sent;
}

/** Starts it unless it runs (started meanwhile by someone else: that one is kept). */
export async function startLongRunning(client: Client, taskQueue: string, start: LongRunningStart): Promise<void> {
  await client.workflow.start(start.workflowType, {
    taskQueue,
    workflowId: start.workflowId,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [start.input],
    ...(start.memo ? { memo: start.memo } : {}),
    staticSummary: start.staticSummary,
  });
}

/** Terminates it, with why; one that closed meanwhile is left as it is. */
export async function stopLongRunning(client: Client, workflowId: string, reason: string): Promise<void> {
  await client.workflow
    .getHandle(workflowId)
    .terminate(reason)
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
}
