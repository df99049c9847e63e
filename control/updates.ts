// Sending an Update to a long-running workflow (a failover monitor's failover / failback, a runbook
// execution's approveStep / rejectStep) without hanging when no worker runs: the Update must be
// accepted (its validator ran on a worker) within 10 s, else `unanswered` (exit 4 / 503) saying no
// worker answered; once accepted, its result is awaited as long as it takes (a switch may take
// minutes). A refusal or failure maps through updateError.

import { type Client, isGrpcDeadlineError, WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ControlError, updateError } from './errors.js';

/** How long an Update may wait for a worker to accept it. */
export const UPDATE_ACCEPT_TIMEOUT_MS = 10_000;

export async function sendUpdate<Ret, Args extends [unknown, ...unknown[]]>(client: Client, handle: WorkflowHandle, update: UpdateDefinition<Ret, Args>, args: Args, failedTypes: readonly string[]): Promise<Ret> {
  let accepted;
  try {
    accepted = await client.withDeadline(Date.now() + UPDATE_ACCEPT_TIMEOUT_MS, () => handle.startUpdate(update, { args, waitForStage: WorkflowUpdateStage.ACCEPTED }));
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) {
      throw new ControlError('unanswered', `no worker answered the ${update.name} update of ${handle.workflowId} within ${UPDATE_ACCEPT_TIMEOUT_MS / 1000} s (is a meridian worker or server running?)`, { cause: err });
    }
    throw updateError(err, failedTypes);
  }
  return accepted.result().catch((err: unknown) => {
    throw updateError(err, failedTypes);
  });
}
