// WorkflowCalls (control/workflowCalls.ts) through the Temporal SDK's client.

import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { describeFailure } from '../api/operationFailures.js';
import type { WorkflowCalls, WorkflowEnd } from './workflowCalls.js';

export function sdkWorkflowCalls(client: Client): WorkflowCalls {
  return {
    async start({ workflowType, workflowId, taskQueue, input, summary }) {
      await client.workflow.start(workflowType, { workflowId, taskQueue, args: [input], staticSummary: summary });
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
    async cancel(workflowId) {
      await client.workflow.getHandle(workflowId).cancel();
    },
  };
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
