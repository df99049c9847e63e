// WorkflowCalls (control/workflowCalls.ts) through the Temporal SDK's client.

import {
  type Client,
  isGrpcDeadlineError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { describeFailure } from '../api/operationFailures.js';
import type { UpdateOutcome, WorkflowCalls, WorkflowEnd } from './workflowCalls.js';

export function sdkWorkflowCalls(client: Client): WorkflowCalls {
  return {
    async start({ workflowType, workflowId, taskQueue, input, summary, conflict }) {
      await client.workflow.start(workflowType, { workflowId, taskQueue, args: [input], staticSummary: summary, ...(conflict === 'use-existing' ? { workflowIdConflictPolicy: 'USE_EXISTING' as const } : {}) });
    },
    async signalWithStart({ workflowType, workflowId, taskQueue, input, summary }, signal) {
      await client.workflow.signalWithStart(workflowType, { workflowId, taskQueue, args: [input], staticSummary: summary, signal: signal.name, signalArgs: signal.args });
    },
    async status(workflowId) {
      try {
        return (await client.workflow.getHandle(workflowId).describe()).status.name;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
    async end(workflowId) {
      try {
        return { status: 'completed', result: await client.workflow.getHandle(workflowId).result() };
      } catch (err) {
        if (err instanceof WorkflowFailedError) return failedEnd(err);
        throw err;
      }
    },
    query: (workflowId, queryType, timeoutMs, args = []) => client.withDeadline(Date.now() + timeoutMs, () => client.workflow.getHandle(workflowId).query(queryType, ...args)),
    async update(workflowId, updateName, args, acceptTimeoutMs) {
      const handle = client.workflow.getHandle(workflowId);
      let accepted;
      try {
        accepted = await client.withDeadline(Date.now() + acceptTimeoutMs, () => handle.startUpdate(updateName, { args, waitForStage: WorkflowUpdateStage.ACCEPTED }));
      } catch (err) {
        // Only the wait for acceptance has the deadline: an accepted Update runs as long as it takes.
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) return { status: 'unaccepted' };
        return updateOutcome(err);
      }
      try {
        return { status: 'completed', result: await accepted.result() };
      } catch (err) {
        return updateOutcome(err);
      }
    },
    async cancel(workflowId) {
      await client.workflow.getHandle(workflowId).cancel();
    },
  };
}

/** The SDK's error for an Update refused or failed, or sent to no such workflow, as an outcome; any other error is thrown. */
function updateOutcome(err: unknown): UpdateOutcome {
  if (err instanceof WorkflowNotFoundError) return { status: 'not-found' };
  if (!(err instanceof WorkflowUpdateFailedError)) throw err;
  const cause = err.cause;
  const type = cause instanceof ApplicationFailure ? cause.type : undefined;
  return { status: 'failed', ...(type ? { type } : {}), message: cause instanceof Error ? cause.message : err.message };
}

/** The SDK's error for a run that did not complete, read as the wire's close event reads it. */
function failedEnd(err: WorkflowFailedError): WorkflowEnd {
  const cause = err.cause;
  if (cause instanceof CancelledFailure) return { status: 'canceled', message: cause.message || 'Workflow canceled' };
  if (cause instanceof TerminatedFailure) return { status: 'terminated', message: cause.message || 'Workflow execution terminated' };
  if (cause instanceof TimeoutFailure) return { status: 'timed_out', message: cause.message || 'Workflow execution timed out' };
  const { type, message } = describeFailure(err);
  return { status: 'failed', ...(type ? { type } : {}), message };
}
