// Sending an Update to a long-running workflow (a failover monitor's failover / failback, a runbook
// execution's approveStep / rejectStep) without hanging when no worker runs: the Update must be
// accepted (its validator ran on a worker) within 10 s, else `unanswered` (exit 4 / 503) saying no
// worker answered; once accepted, its result is awaited as long as it takes (a switch may take
// minutes). A failure of one of `failedTypes` (raised by the handler after it ran) is `failed`,
// any other (the validator's refusal) is `rejected`, with the failure's first line; no such
// workflow is `not-found`.

import type { UpdateDefinition } from '@temporalio/common';
import { ControlError } from './errors.js';
import type { WorkflowCalls } from './workflowCalls.js';

/** How long an Update may wait for a worker to accept it. */
export const UPDATE_ACCEPT_TIMEOUT_MS = 10_000;

export async function sendUpdate<Ret, Args extends [unknown, ...unknown[]]>(calls: WorkflowCalls, workflowId: string, update: UpdateDefinition<Ret, Args>, args: Args, failedTypes: readonly string[]): Promise<Ret> {
  const outcome = await calls.update(workflowId, update.name, args, UPDATE_ACCEPT_TIMEOUT_MS);
  switch (outcome.status) {
    case 'completed':
      return outcome.result as Ret;
    case 'unaccepted':
      throw new ControlError('unanswered', `no worker answered the ${update.name} update of ${workflowId} within ${UPDATE_ACCEPT_TIMEOUT_MS / 1000} s (is a meridian worker or server running?)`);
    case 'not-found':
      throw new ControlError('not-found', `no workflow ${workflowId}`);
    case 'failed': {
      const failed = outcome.type !== undefined && failedTypes.includes(outcome.type);
      throw new ControlError(failed ? 'failed' : 'rejected', outcome.message.split('\n')[0]!);
    }
  }
}
