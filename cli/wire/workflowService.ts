// The calls of Temporal's WorkflowService that a CLI command needs to run a workflow and wait for
// it — start it, wait for its close event (following continue-as-new), request its cancellation,
// and for the progress line describe it and query it — encoded by hand on the field numbers of
// temporal/api (workflowservice/v1 request_response.proto, history/v1, workflow/v1, failure/v1
// message.proto). Payloads are the SDK default converter's JSON ("json/plain"), which is what
// Meridian's workers use.

import { randomUUID } from 'node:crypto';
import type { RunningActivity } from '../../api/operationProgress.js';
import type { WorkflowEnd } from '../../control/workflowCalls.js';
import type { GrpcChannel } from './grpc.js';
import { innermostFailure, jsonPayload, payloads, payloadValue } from './payloads.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';

export const SERVICE = '/temporal.api.workflowservice.v1.WorkflowService';
/** Temporal answers a long poll of the history with "nothing yet" after ~20 s by itself; this deadline only bounds a poll that hangs. */
export const LONG_POLL_MS = 70_000;
export const CALL_MS = 10_000;

/** The header the SDK adds to every call in a namespace; Temporal Cloud routes and authorizes by it. */
export const inNamespace = (namespace: string) => ({ 'temporal-namespace': namespace });

const WORKFLOW_ID_REUSE_ALLOW_DUPLICATE = 1;
/** WorkflowExecutionStatus by number (temporal/api/enums/v1/workflow.proto), named as the SDK names them. */
const WORKFLOW_STATUS_NAMES = ['UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT', 'PAUSED'];
/** WorkflowIdConflictPolicy: what a start does when an open run holds the id. */
const WORKFLOW_ID_CONFLICT = { fail: 1, 'use-existing': 2 } as const;
const TASK_QUEUE_KIND_NORMAL = 1;
const HISTORY_EVENT_FILTER_CLOSE_EVENT = 2;

export interface StartWorkflow {
  namespace: string;
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  /** The workflow's one argument. */
  input: unknown;
  /** Search attributes by name, with their type as payload metadata names it (`Keyword`). */
  searchAttributes: { name: string; type: string; value: string }[];
  /** Shown in Temporal UI (the SDK's staticSummary). */
  summary: string;
  identity: string;
  /** An open run holding the id: refuse (the default) or use it. */
  conflict?: keyof typeof WORKFLOW_ID_CONFLICT;
}

/** Starts the workflow (refusing a workflow id that an open run holds, unless told to use it) and returns its run id. */
export async function startWorkflow(channel: GrpcChannel, start: StartWorkflow): Promise<string> {
  const searchAttributes = new ProtoWriter();
  for (const { name, type, value } of start.searchAttributes) {
    searchAttributes.message(1, new ProtoWriter().string(1, name).message(2, jsonPayload(value, { type })));
  }
  const request = startFields(start)
    .message(15, searchAttributes)
    .uint(22, WORKFLOW_ID_CONFLICT[start.conflict ?? 'fail']);
  const response = ProtoMessage.decode(await channel.call(`${SERVICE}/StartWorkflowExecution`, request.finish(), { headers: inNamespace(start.namespace), timeoutMs: CALL_MS }));
  return response.string(1);
}

/** SignalWithStartWorkflowExecution: signals the workflow, starting it first when no run is open. */
export async function signalWithStart(channel: GrpcChannel, start: Omit<StartWorkflow, 'searchAttributes' | 'conflict'>, signal: { name: string; args: unknown[] }): Promise<void> {
  const request = startFields(start).string(12, signal.name).message(13, payloads(signal.args));
  await channel.call(`${SERVICE}/SignalWithStartWorkflowExecution`, request.finish(), { headers: inNamespace(start.namespace), timeoutMs: CALL_MS });
}

/** The fields a start and a signal-with-start share, at the same numbers in both requests. */
function startFields(start: Omit<StartWorkflow, 'searchAttributes' | 'conflict'>): ProtoWriter {
  return new ProtoWriter()
    .string(1, start.namespace)
    .string(2, start.workflowId)
    .message(3, new ProtoWriter().string(1, start.workflowType))
    .message(4, new ProtoWriter().string(1, start.taskQueue).uint(2, TASK_QUEUE_KIND_NORMAL))
    .message(5, payloads([start.input]))
    .string(9, start.identity)
    .string(10, randomUUID())
    .uint(11, WORKFLOW_ID_REUSE_ALLOW_DUPLICATE)
    .message(23, new ProtoWriter().message(1, jsonPayload(start.summary)));
}

/** Waits for the run to close, following the runs it continues as (or retries) into, and says how it ended. */
export async function awaitWorkflowEnd(channel: GrpcChannel, namespace: string, workflowId: string, runId: string): Promise<WorkflowEnd> {
  let run = runId;
  let pageToken: Buffer | undefined;
  for (;;) {
    const request = new ProtoWriter()
      .string(1, namespace)
      .message(2, new ProtoWriter().string(1, workflowId).string(2, run))
      .uint(5, true)
      .uint(6, HISTORY_EVENT_FILTER_CLOSE_EVENT)
      .uint(7, true);
    if (pageToken) request.bytes(4, pageToken);
    const response = ProtoMessage.decode(await channel.call(`${SERVICE}/GetWorkflowExecutionHistory`, request.finish(), { headers: inNamespace(namespace), timeoutMs: LONG_POLL_MS }));
    const event = response.message(1)?.messages(1)[0];
    if (event === undefined) {
      pageToken = response.bytes(3);
      continue;
    }
    const end = closeEvent(event);
    if ('nextRun' in end) {
      run = end.nextRun;
      pageToken = undefined;
      continue;
    }
    return end;
  }
}

/** Asks Temporal to cancel the workflow's current run (the one `firstRunId` began). */
export async function requestCancel(channel: GrpcChannel, namespace: string, workflowId: string, firstRunId: string, identity: string): Promise<void> {
  const request = new ProtoWriter()
    .string(1, namespace)
    .message(2, new ProtoWriter().string(1, workflowId))
    .string(3, identity)
    .string(4, randomUUID())
    .string(5, firstRunId);
  await channel.call(`${SERVICE}/RequestCancelWorkflowExecution`, request.finish(), { headers: inNamespace(namespace), timeoutMs: CALL_MS });
}

/** A workflow as its description gives it: its latest run's status (as the SDK names it), and its running activity, if any. */
export interface WorkflowState {
  status: string;
  activity?: RunningActivity;
}

/** DescribeWorkflowExecution: the status of the workflow's latest run and its first pending activity's heartbeat. */
export async function describeWorkflow(channel: GrpcChannel, namespace: string, workflowId: string): Promise<WorkflowState> {
  const request = new ProtoWriter().string(1, namespace).message(2, new ProtoWriter().string(1, workflowId));
  const response = ProtoMessage.decode(await channel.call(`${SERVICE}/DescribeWorkflowExecution`, request.finish(), { headers: inNamespace(namespace), timeoutMs: CALL_MS }));
  const status = WORKFLOW_STATUS_NAMES[response.message(2)?.uint(5) ?? 0] ?? 'UNKNOWN';
  const pending = response.messages(3)[0];
  if (pending === undefined) return { status };
  const lastFailure = pending.message(11)?.string(1);
  return { status, activity: { details: payloadValue(pending.message(4)?.messages(1)[0]), attempt: pending.uint(7), ...(lastFailure ? { lastFailure } : {}) } };
}

/** QueryWorkflow with JSON arguments: the query's JSON answer (undefined when the workflow rejected it); a GrpcError when no worker answered within `timeoutMs`. */
export async function queryWorkflow(channel: GrpcChannel, namespace: string, workflowId: string, queryType: string, timeoutMs: number, args: unknown[] = []): Promise<unknown> {
  const query = new ProtoWriter().string(1, queryType);
  if (args.length > 0) query.message(2, payloads(args));
  const request = new ProtoWriter()
    .string(1, namespace)
    .message(2, new ProtoWriter().string(1, workflowId))
    .message(3, query);
  const response = ProtoMessage.decode(await channel.call(`${SERVICE}/QueryWorkflow`, request.finish(), { headers: inNamespace(namespace), timeoutMs, retry: false }));
  return payloadValue(response.message(1)?.messages(1)[0]);
}

/** HistoryEvent attribute fields of the close events (temporal/api/history/v1/message.proto). */
const CLOSE = { completed: 7, failed: 8, timedOut: 9, terminated: 27, canceled: 29, continuedAsNew: 33 } as const;

function closeEvent(event: ProtoMessage): WorkflowEnd | { nextRun: string } {
  const completed = event.message(CLOSE.completed);
  if (completed) return completed.string(3) ? { nextRun: completed.string(3) } : { status: 'completed', result: payloadValue(completed.message(1)?.messages(1)[0]) };
  const failed = event.message(CLOSE.failed);
  if (failed) return failed.string(4) ? { nextRun: failed.string(4) } : { status: 'failed', ...innermostFailure(failed.message(1)) };
  const timedOut = event.message(CLOSE.timedOut);
  if (timedOut) return timedOut.string(2) ? { nextRun: timedOut.string(2) } : { status: 'timed_out', message: 'Workflow execution timed out' };
  const continued = event.message(CLOSE.continuedAsNew);
  if (continued) return { nextRun: continued.string(1) };
  const terminated = event.message(CLOSE.terminated);
  if (terminated) return { status: 'terminated', message: terminated.string(1) || 'Workflow execution terminated' };
  if (event.message(CLOSE.canceled)) return { status: 'canceled', message: 'Workflow canceled' };
  throw new Error(`Temporal answered the wait for the end of a workflow with an event of type ${event.uint(3)}`);
}
