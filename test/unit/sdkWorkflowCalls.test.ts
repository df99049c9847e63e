// WorkflowCalls through the SDK (control/sdkWorkflowCalls.ts), on a stand-in client: an Update no
// worker accepted before the deadline is unaccepted; once accepted, it has no deadline of ours, so
// an error while waiting for its result is that error, not "no worker answered"; a refusal gives
// the failure's type and message.

import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { sdkWorkflowCalls } from '../../control/sdkWorkflowCalls';

/** A client whose handles start Updates with `startUpdate`. */
function clientWith(startUpdate: () => Promise<{ result(): Promise<unknown> }>): Client {
  return { workflow: { getHandle: () => ({ startUpdate }) }, withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn() } as unknown as Client;
}

const timedOut = () => new WorkflowUpdateRPCTimeoutOrCancelledError('Timed out waiting for update');

test('an Update not accepted in time is unaccepted; an accepted one answers its result', async () => {
  const unaccepted = sdkWorkflowCalls(clientWith(() => Promise.reject(timedOut())));
  expect(await unaccepted.update('wf', 'failover', [{}], 10_000)).toEqual({ status: 'unaccepted' });
  const done = sdkWorkflowCalls(clientWith(async () => ({ result: async () => ({ eventId: 'e1' }) })));
  expect(await done.update('wf', 'failover', [{}], 10_000)).toEqual({ status: 'completed', result: { eventId: 'e1' } });
});

test('an error while waiting for an accepted Update is thrown as it is, not read as no worker accepting it', async () => {
  const calls = sdkWorkflowCalls(clientWith(async () => ({ result: () => Promise.reject(timedOut()) })));
  await expect(calls.update('wf', 'failover', [{}], 10_000)).rejects.toBeInstanceOf(WorkflowUpdateRPCTimeoutOrCancelledError);
});

test('a refusal answers the failure type and message', async () => {
  const refusal = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'no region "mars"', type: 'invalid-region' }));
  const calls = sdkWorkflowCalls(clientWith(() => Promise.reject(refusal)));
  expect(await calls.update('wf', 'failover', [{}], 10_000)).toEqual({ status: 'failed', type: 'invalid-region', message: 'no region "mars"' });
});
