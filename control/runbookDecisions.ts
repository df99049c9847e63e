// Approving or rejecting a manual step of a runbook execution, through the workflow's Updates
// (refused by its validator: `rejected`, with its reason). Who decides comes from the caller's
// authentication, never from a request body.

import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { approveStepUpdate, rejectStepUpdate, type StepState } from '../workflows/runbookDefs.js';
import { ControlError } from './errors.js';
import { describeExecution, executionWorkflowId } from './runbooks.js';
import { sdkWorkflowCalls } from './sdkWorkflowCalls.js';
import { sendUpdate } from './updates.js';

/** Approves (or rejects) a step waiting for approval, as `by`; answers the step as decided. */
export async function decideStep(client: Client, execution: string, decision: 'approve' | 'reject', request: { step: string; note?: string }, by: string): Promise<StepState> {
  const handle = client.workflow.getHandle(executionWorkflowId(execution));
  const calls = sdkWorkflowCalls(client);
  const notRunning = (status: string) => new ControlError('rejected', `${handle.workflowId} is not running (${status.toLowerCase()}): no step waits for a decision`);
  const status = await describeExecution(calls, handle.workflowId);
  if (status !== 'RUNNING') throw notRunning(status);
  const args = { step: request.step, by, ...(request.note !== undefined ? { note: request.note } : {}) };
  try {
    return await sendUpdate(client, handle, decision === 'approve' ? approveStepUpdate : rejectStepUpdate, [args], []);
  } catch (err) {
    // The execution may finish between the check above and the Update: Temporal then answers that
    // it is not found, which is the same refusal as finding it finished.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    throw notRunning(await describeExecution(calls, handle.workflowId));
  }
}
