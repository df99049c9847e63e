// Temporal's workflow Updates by hand (workflowservice/v1 UpdateWorkflowExecution and
// PollWorkflowExecutionUpdate, update/v1 message.proto): sent with one update id, so a repeated
// call is the same Update, asked again until a worker accepted it or the accept deadline passed,
// then polled until its outcome.

import { randomUUID } from 'node:crypto';
import type { UpdateOutcome } from '../../control/workflowCalls.js';
import type { GrpcChannel } from './grpc.js';
import { GRPC_STATUS, GrpcError } from './grpcError.js';
import { failureOf, payloads, payloadValue } from './payloads.js';
import { ProtoMessage, ProtoWriter } from './protobuf.js';
import { inNamespace, LONG_POLL_MS, SERVICE } from './workflowService.js';

/** UpdateWorkflowExecutionLifecycleStage (temporal/api/enums/v1/update.proto). */
const STAGE = { accepted: 2, completed: 3 } as const;

export interface UpdateRequest {
  namespace: string;
  workflowId: string;
  name: string;
  args: unknown[];
  identity: string;
}

/** Sends the Update and waits for its outcome; unaccepted when no worker accepted it within `acceptTimeoutMs`. */
export async function updateWorkflow(channel: GrpcChannel, update: UpdateRequest, acceptTimeoutMs: number): Promise<UpdateOutcome> {
  const { namespace, workflowId, identity } = update;
  const headers = inNamespace(namespace);
  const updateId = randomUUID();
  const updateRef = () => new ProtoWriter().message(1, new ProtoWriter().string(1, workflowId)).string(2, updateId);
  const acceptBy = Date.now() + acceptTimeoutMs;
  let answer: { stage: number; outcome?: ProtoMessage } = { stage: 0 };
  while (answer.stage < STAGE.accepted && answer.outcome === undefined) {
    const left = acceptBy - Date.now();
    if (left <= 0) return { status: 'unaccepted' };
    const request = new ProtoWriter()
      .string(1, namespace)
      .message(2, new ProtoWriter().string(1, workflowId))
      .message(4, new ProtoWriter().uint(1, STAGE.accepted))
      .message(5, new ProtoWriter().message(1, new ProtoWriter().string(1, updateId).string(2, identity)).message(2, new ProtoWriter().string(2, update.name).message(3, payloads(update.args))));
    try {
      // Not retried by the channel: the accept deadline bounds the whole wait.
      answer = stageOf(ProtoMessage.decode(await channel.call(`${SERVICE}/UpdateWorkflowExecution`, request.finish(), { headers, timeoutMs: left, retry: false })), 3, 2);
    } catch (err) {
      if (err instanceof GrpcError && err.code === GRPC_STATUS.DEADLINE_EXCEEDED) return { status: 'unaccepted' };
      if (err instanceof GrpcError && err.code === GRPC_STATUS.NOT_FOUND) return { status: 'not-found' };
      throw err;
    }
  }
  while (answer.outcome === undefined) {
    const poll = new ProtoWriter().string(1, namespace).message(2, updateRef()).string(3, identity).message(4, new ProtoWriter().uint(1, STAGE.completed));
    answer = stageOf(ProtoMessage.decode(await channel.call(`${SERVICE}/PollWorkflowExecutionUpdate`, poll.finish(), { headers, timeoutMs: LONG_POLL_MS })), 2, 1);
  }
  const failure = answer.outcome.message(2);
  if (failure) return { status: 'failed', ...failureOf(failure, 'the update failed') };
  return { status: 'completed', result: payloadValue(answer.outcome.message(1)?.messages(1)[0]) };
}

/** The stage an answer reached and its outcome, if it has one, from their field numbers. */
function stageOf(response: ProtoMessage, stageField: number, outcomeField: number): { stage: number; outcome?: ProtoMessage } {
  const outcome = response.message(outcomeField);
  return { stage: response.uint(stageField), ...(outcome ? { outcome } : {}) };
}
