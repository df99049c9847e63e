// The CLI's hand-encoded Temporal calls (cli/wire/) checked against the real protos of the SDK
// (@temporalio/proto, protobufjs): the start request decodes field by field as Temporal reads it,
// and answers encoded by protobufjs decode to the result or the innermost failure, following a
// continue-as-new and a long poll that answered "nothing yet". The calls go to a recording channel.

import { temporal } from '@temporalio/proto';
import type { GrpcChannel } from '../../cli/wire/grpc';
import { ProtoMessage, ProtoWriter } from '../../cli/wire/protobuf';
import { awaitWorkflowEnd, describeWorkflow, queryWorkflow, requestCancel, signalWithStart, startWorkflow } from '../../cli/wire/workflowService';
import { operationProgress } from '../../api/operationProgress';

const service = temporal.api.workflowservice.v1;
const EventType = temporal.api.enums.v1.EventType;

/** A channel that records each call and answers with the next of `answers`. */
function recordingChannel(answers: Uint8Array[]) {
  const calls: { path: string; request: Buffer }[] = [];
  const channel = {
    call: async (path: string, request: Buffer) => {
      calls.push({ path, request });
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected call ${path}`);
      return Buffer.from(answer);
    },
  } as unknown as GrpcChannel;
  return { channel, calls };
}

const json = (value: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) });
const history = (...events: temporal.api.history.v1.IHistoryEvent[]) => service.GetWorkflowExecutionHistoryResponse.encode({ history: { events } }).finish();

test('the start request is what Temporal reads: ids, type, queue, JSON input, Keyword search attributes, summary, policies', async () => {
  const { channel, calls } = recordingChannel([service.StartWorkflowExecutionResponse.encode({ runId: 'run-1' }).finish()]);
  const input = { repo: '/srv/repo', path: '/data/tiles', tags: ['nightly'] };
  const runId = await startWorkflow(channel, {
    namespace: 'ns',
    workflowId: 'backup:/srv/repo:/data/tiles:t',
    workflowType: 'backupWorkflow',
    taskQueue: 'meridian',
    input,
    searchAttributes: [{ name: 'MeridianOperation', type: 'Keyword', value: 'backup' }],
    summary: 'backup of /data/tiles into /srv/repo',
    identity: '42@host',
  });
  expect(runId).toBe('run-1');
  expect(calls[0]!.path).toBe('/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution');
  const request = service.StartWorkflowExecutionRequest.decode(calls[0]!.request);
  expect(request).toMatchObject({ namespace: 'ns', workflowId: 'backup:/srv/repo:/data/tiles:t', workflowType: { name: 'backupWorkflow' }, identity: '42@host' });
  expect(request.taskQueue).toMatchObject({ name: 'meridian', kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL });
  expect(request.workflowIdReusePolicy).toBe(temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE);
  expect(request.workflowIdConflictPolicy).toBe(temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL);
  expect(request.requestId).toMatch(/^[0-9a-f-]{36}$/);
  const payload = request.input!.payloads![0]!;
  expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe('json/plain');
  expect(JSON.parse(Buffer.from(payload.data!).toString())).toEqual(input);
  const attribute = request.searchAttributes!.indexedFields!.MeridianOperation!;
  expect(Buffer.from(attribute.metadata!.type!).toString()).toBe('Keyword');
  expect(JSON.parse(Buffer.from(attribute.data!).toString())).toBe('backup');
  expect(JSON.parse(Buffer.from(request.userMetadata!.summary!.data!).toString())).toBe('backup of /data/tiles into /srv/repo');
});

test('the wait follows a long poll that answered nothing and a continue-as-new, and returns the JSON result', async () => {
  const { channel, calls } = recordingChannel([
    service.GetWorkflowExecutionHistoryResponse.encode({ nextPageToken: Buffer.from('page-2') }).finish(),
    history({ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, workflowExecutionContinuedAsNewEventAttributes: { newExecutionRunId: 'run-2' } }),
    history({ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, workflowExecutionCompletedEventAttributes: { result: { payloads: [json({ snapshotId: 'abc', filesNew: 3 })] } } }),
  ]);
  expect(await awaitWorkflowEnd(channel, 'ns', 'wf', 'run-1')).toEqual({ status: 'completed', result: { snapshotId: 'abc', filesNew: 3 } });
  const requests = calls.map((call) => service.GetWorkflowExecutionHistoryRequest.decode(call.request));
  expect(requests.map((request) => [request.execution!.runId, Buffer.from(request.nextPageToken).toString()])).toEqual([
    ['run-1', ''],
    ['run-1', 'page-2'],
    ['run-2', ''],
  ]);
  for (const request of requests) {
    expect(request).toMatchObject({ namespace: 'ns', waitNewEvent: true, skipArchival: true, historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT });
  }
});

test('a failed run reports its innermost failure: the activity\'s ApplicationFailure type and message', async () => {
  const failure = {
    message: 'Activity task failed',
    activityFailureInfo: { activityType: { name: 'backup' } },
    cause: { message: 'wrong passphrase: no key opens with it', applicationFailureInfo: { type: 'wrong-passphrase', nonRetryable: true } },
  };
  const { channel } = recordingChannel([history({ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, workflowExecutionFailedEventAttributes: { failure } })]);
  expect(await awaitWorkflowEnd(channel, 'ns', 'wf', 'run-1')).toEqual({ status: 'failed', type: 'wrong-passphrase', message: 'wrong passphrase: no key opens with it' });
});

test('canceled, terminated and timed-out runs say so as the SDK words them', async () => {
  const ends = [
    [{ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, workflowExecutionCanceledEventAttributes: {} }, { status: 'canceled', message: 'Workflow canceled' }],
    [{ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, workflowExecutionTerminatedEventAttributes: { reason: 'by hand' } }, { status: 'terminated', message: 'by hand' }],
    [{ eventType: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, workflowExecutionTimedOutEventAttributes: {} }, { status: 'timed_out', message: 'Workflow execution timed out' }],
  ] as const;
  for (const [event, end] of ends) {
    const { channel } = recordingChannel([history(event)]);
    expect(await awaitWorkflowEnd(channel, 'ns', 'wf', 'run-1')).toEqual(end);
  }
});

test('a cancellation names the workflow and the run it began with', async () => {
  const { channel, calls } = recordingChannel([service.RequestCancelWorkflowExecutionResponse.encode({}).finish()]);
  await requestCancel(channel, 'ns', 'wf', 'run-1', '42@host');
  expect(service.RequestCancelWorkflowExecutionRequest.decode(calls[0]!.request)).toMatchObject({ namespace: 'ns', workflowExecution: { workflowId: 'wf', runId: '' }, firstExecutionRunId: 'run-1', identity: '42@host' });
});

test('the description of a running workflow gives its first pending activity: heartbeat, attempt, last failure; merged as the API merges it', async () => {
  const { channel, calls } = recordingChannel([
    service.DescribeWorkflowExecutionResponse.encode({
      workflowExecutionInfo: { status: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING },
      pendingActivities: [{ heartbeatDetails: { payloads: [json({ phase: 'packs', done: 3, total: 9 })] }, attempt: 2, lastFailure: { message: 'storage unreachable' } }],
    }).finish(),
  ]);
  const state = await describeWorkflow(channel, 'ns', 'wf');
  expect(service.DescribeWorkflowExecutionRequest.decode(calls[0]!.request)).toMatchObject({ namespace: 'ns', execution: { workflowId: 'wf' } });
  expect(state).toEqual({ status: 'RUNNING', activity: { details: { phase: 'packs', done: 3, total: 9 }, attempt: 2, lastFailure: 'storage unreachable' } });
  expect(operationProgress({ operation: 'verify', phase: 'running' }, state.activity)).toEqual({
    operation: 'verify',
    phase: 'running',
    activityPhase: 'packs',
    done: 3,
    total: 9,
    activityAttempt: 2,
    lastFailure: 'storage unreachable',
  });
});

test('varints past 32 bits and fields of every wire type round-trip; truncated input is an error', () => {
  const bytes = new ProtoWriter().uint(1, 2 ** 40 + 5).string(2, 'é').uint(3, true).finish();
  const decoded = temporal.api.history.v1.HistoryEvent.decode(new ProtoWriter().uint(1, 2 ** 40 + 5).finish());
  expect(Number(decoded.eventId)).toBe(2 ** 40 + 5);
  const message = ProtoMessage.decode(Buffer.concat([bytes, Buffer.from([0x21, 1, 2, 3, 4, 5, 6, 7, 8, 0x2d, 1, 2, 3, 4])]));
  expect([message.uint(1), message.string(2), message.uint(3), message.bytes(4)?.length, message.bytes(5)?.length]).toEqual([2 ** 40 + 5, 'é', 1, 8, 4]);
  expect(() => ProtoMessage.decode(Buffer.from([0x0a, 5, 1]))).toThrow('protobuf: truncated field');
  expect(() => ProtoMessage.decode(Buffer.from([0x08, 0x80]))).toThrow('protobuf: truncated varint');
  expect(() => ProtoMessage.decode(Buffer.from([0x21, 1, 2]))).toThrow('protobuf: truncated field');
});

test('each workflow status number is named as the SDK names it (WORKFLOW_EXECUTION_STATUS_X is X, but CANCELED is CANCELLED)', async () => {
  const statuses = Object.entries(temporal.api.enums.v1.WorkflowExecutionStatus).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  expect(statuses.length).toBeGreaterThanOrEqual(8);
  for (const [protoName, status] of statuses) {
    const { channel } = recordingChannel([service.DescribeWorkflowExecutionResponse.encode({ workflowExecutionInfo: { status } }).finish()]);
    const sdkName = protoName.replace('WORKFLOW_EXECUTION_STATUS_', '').replace(/^CANCELED$/, 'CANCELLED');
    expect({ protoName, name: (await describeWorkflow(channel, 'ns', 'wf')).status }).toEqual({ protoName, name: sdkName });
  }
});

test('a query names the workflow and the query type, with the caller\'s deadline and no retry, and answers the JSON', async () => {
  const calls: { path: string; options: unknown }[] = [];
  const channel = {
    call: async (path: string, _request: Buffer, options: unknown) => {
      calls.push({ path, options });
      return Buffer.from(service.QueryWorkflowResponse.encode({ queryResult: { payloads: [json({ status: 'running' })] } }).finish());
    },
  } as unknown as GrpcChannel;
  expect(await queryWorkflow(channel, 'ns', 'wf', 'runbookStatus', 10_000)).toEqual({ status: 'running' });
  expect(calls).toEqual([{ path: '/temporal.api.workflowservice.v1.WorkflowService/QueryWorkflow', options: { headers: { 'temporal-namespace': 'ns' }, timeoutMs: 10_000, retry: false } }]);
});

test('a signal with start names the workflow, its start and the signal with its JSON arguments; a start may use an open run', async () => {
  const { channel, calls } = recordingChannel([
    service.SignalWithStartWorkflowExecutionResponse.encode({ runId: 'run-1', started: true }).finish(),
    service.StartWorkflowExecutionResponse.encode({ runId: 'run-2' }).finish(),
  ]);
  const start = { namespace: 'ns', workflowId: 'replication:gis', workflowType: 'replicationWorkflow', taskQueue: 'meridian', input: { set: 'gis' }, summary: 'replication of set gis', identity: '42@host' };
  await signalWithStart(channel, start, { name: 'replicate', args: [{ reason: 'manual', full: true }] });
  const signalled = service.SignalWithStartWorkflowExecutionRequest.decode(calls[0]!.request);
  expect(calls[0]!.path).toBe('/temporal.api.workflowservice.v1.WorkflowService/SignalWithStartWorkflowExecution');
  expect(signalled).toMatchObject({ namespace: 'ns', workflowId: 'replication:gis', workflowType: { name: 'replicationWorkflow' }, taskQueue: { name: 'meridian' }, identity: '42@host', signalName: 'replicate' });
  expect(JSON.parse(Buffer.from(signalled.input!.payloads![0]!.data!).toString())).toEqual({ set: 'gis' });
  expect(JSON.parse(Buffer.from(signalled.signalInput!.payloads![0]!.data!).toString())).toEqual({ reason: 'manual', full: true });
  expect(JSON.parse(Buffer.from(signalled.userMetadata!.summary!.data!).toString())).toBe('replication of set gis');
  expect(signalled.requestId).toMatch(/^[0-9a-f-]{36}$/);

  expect(await startWorkflow(channel, { ...start, searchAttributes: [], conflict: 'use-existing' })).toBe('run-2');
  expect(service.StartWorkflowExecutionRequest.decode(calls[1]!.request).workflowIdConflictPolicy).toBe(temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING);
});
