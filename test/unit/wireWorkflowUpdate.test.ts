// The CLI's hand-encoded workflow Updates (cli/wire/workflowUpdate.ts) checked against the real
// protos of the SDK: the request decodes as Temporal reads it (one update id throughout, the name,
// JSON arguments, who asks, the stage waited for); an Update only admitted is asked again, one
// accepted is polled until its outcome; a failure gives its type and message; a deadline missed
// is unaccepted and an unknown workflow not-found.

import { temporal } from '@temporalio/proto';
import type { GrpcChannel } from '../../cli/wire/grpc';
import { GrpcError, GRPC_STATUS } from '../../cli/wire/grpcError';
import { updateWorkflow } from '../../cli/wire/workflowUpdate';

const service = temporal.api.workflowservice.v1;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
const json = (value: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) });
const request = { namespace: 'ns', workflowId: 'failover:gis', name: 'failover', args: [{ to: 'us', by: 'alice' }], identity: '42@host' };

/** A channel that records each call and answers with the next of `answers` (an Error is thrown). */
function scriptedChannel(answers: Array<Uint8Array | Error>) {
  const calls: { path: string; request: Buffer; options: { timeoutMs: number; retry?: boolean } }[] = [];
  const channel = {
    call: async (path: string, body: Buffer, options: { timeoutMs: number; retry?: boolean }) => {
      calls.push({ path, request: body, options });
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected call ${path}`);
      if (answer instanceof Error) throw answer;
      return Buffer.from(answer);
    },
  } as unknown as GrpcChannel;
  return { channel, calls };
}

test('an Update only admitted is asked again with the same id, then polled once accepted, and answers its result', async () => {
  const { channel, calls } = scriptedChannel([
    service.UpdateWorkflowExecutionResponse.encode({ stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED }).finish(),
    service.UpdateWorkflowExecutionResponse.encode({ stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED }).finish(),
    service.PollWorkflowExecutionUpdateResponse.encode({ stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED }).finish(),
    service.PollWorkflowExecutionUpdateResponse.encode({ stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: { success: { payloads: [json({ eventId: 7, from: 'eu', to: 'us' })] } } }).finish(),
  ]);
  expect(await updateWorkflow(channel, request, 10_000)).toEqual({ status: 'completed', result: { eventId: 7, from: 'eu', to: 'us' } });
  expect(calls.map((c) => c.path.split('/').at(-1))).toEqual(['UpdateWorkflowExecution', 'UpdateWorkflowExecution', 'PollWorkflowExecutionUpdate', 'PollWorkflowExecutionUpdate']);
  const [first, second] = calls.slice(0, 2).map((c) => service.UpdateWorkflowExecutionRequest.decode(c.request));
  expect(first).toMatchObject({
    namespace: 'ns',
    workflowExecution: { workflowId: 'failover:gis' },
    waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED },
    request: { meta: { identity: '42@host' }, input: { name: 'failover' } },
  });
  expect(JSON.parse(Buffer.from(first!.request!.input!.args!.payloads![0]!.data!).toString())).toEqual({ to: 'us', by: 'alice' });
  const updateId = first!.request!.meta!.updateId!;
  expect(updateId).toMatch(/^[0-9a-f-]{36}$/);
  expect(second!.request!.meta!.updateId).toBe(updateId);
  expect(calls.slice(0, 2).map((c) => c.options.retry)).toEqual([false, false]);
  for (const poll of calls.slice(2).map((c) => service.PollWorkflowExecutionUpdateRequest.decode(c.request))) {
    expect(poll).toMatchObject({ namespace: 'ns', updateRef: { workflowExecution: { workflowId: 'failover:gis' }, updateId }, identity: '42@host', waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED } });
  }
});

test('a refusal or a failure answers its own type and message', async () => {
  const { channel } = scriptedChannel([
    service.UpdateWorkflowExecutionResponse.encode({
      stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
      outcome: { failure: { message: 'no region "mars" in this failover', applicationFailureInfo: { type: 'invalid-region' }, cause: { message: 'inner' } } },
    }).finish(),
  ]);
  expect(await updateWorkflow(channel, request, 10_000)).toEqual({ status: 'failed', type: 'invalid-region', message: 'no region "mars" in this failover' });
});

test('a deadline missed before a worker accepted is unaccepted; an unknown workflow is not-found; other errors are thrown', async () => {
  expect(await updateWorkflow(scriptedChannel([new GrpcError(GRPC_STATUS.DEADLINE_EXCEEDED, 'no answer within 10000 ms')]).channel, request, 10_000)).toEqual({ status: 'unaccepted' });
  expect(await updateWorkflow(scriptedChannel([new GrpcError(GRPC_STATUS.NOT_FOUND, 'workflow not found')]).channel, request, 10_000)).toEqual({ status: 'not-found' });
  await expect(updateWorkflow(scriptedChannel([new GrpcError(GRPC_STATUS.INTERNAL, 'boom')]).channel, request, 10_000)).rejects.toThrow('13 INTERNAL: boom');
  expect(await updateWorkflow(scriptedChannel([]).channel, request, 0)).toEqual({ status: 'unaccepted' });
});
