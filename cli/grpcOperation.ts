// Runs one operation on a configured Temporal cluster with the CLI's own gRPC calls (cli/wire/):
// start the workflow as the SDK would (the same id, search attributes and summary), long-poll its
// history for the close event, cancel it on Ctrl-C, and on a terminal feed the progress line from
// its description and progress query. It loads no Temporal SDK, which saves a command ~0.13–0.25 s
// of loading and connecting before any work starts. A `meridian worker` elsewhere does the work,
// with its own passphrases: this shell's are never sent.

import os from 'node:os';
import { OperationRunningError } from '../api/operationFailures.js';
import type { OperationView } from '../api/operations.js';
import { operationProgress } from '../api/operationProgress.js';
import { operationStart, PROGRESS_QUERY, type Operation, type OperationInput, type OperationOutput } from '../workflows/catalog.js';
import { OperationFailure, unavailableError } from './exitCodes.js';
import type { OperationRun } from './operation.js';
import { notice, progressWanted } from './output.js';
import { showProgress } from './progress.js';
import { remotePassphraseError } from './remotePassphrase.js';
import { describeTarget, type TemporalTarget } from './temporalSettings.js';
import { tlsFailure } from './tlsProbe.js';
import { GrpcChannel } from './wire/grpc.js';
import { GRPC_STATUS, GrpcError, GrpcUnreachable } from './wire/grpcError.js';
import { awaitWorkflowEnd, describeWorkflow, queryWorkflow, requestCancel, startWorkflow } from './wire/workflowService.js';

export interface ClusterQueue {
  cluster: TemporalTarget;
  namespace: string;
  taskQueue: string;
}

export async function runOverGrpc<O extends Operation>({ cluster, namespace, taskQueue }: ClusterQueue, operation: O, input: OperationInput<O>): Promise<OperationRun<O>> {
  const channel = new GrpcChannel(cluster);
  const identity = `${process.pid}@${os.hostname()}`;
  const start = operationStart(operation, input, new Date());
  try {
    const searchAttributes = start.searchAttributes.map(({ key, value }) => ({ name: key.name, type: metadataType(key.type), value }));
    const runId = await startWorkflow(channel, { ...start, namespace, identity, taskQueue, input, searchAttributes }).catch((err: unknown) => {
      throw start.onePerRepository && err instanceof GrpcError && err.code === GRPC_STATUS.ALREADY_EXISTS ? new OperationRunningError(operation, start.workflowId) : err;
    });
    const cancel = () => {
      notice(`canceling ${start.workflowId} (Ctrl-C again to stop waiting)`);
      requestCancel(channel, namespace, start.workflowId, runId, identity).catch(() => undefined);
    };
    process.once('SIGINT', cancel);
    const line = progressWanted() ? showProgress(() => runningView(channel, namespace, operation, start.workflowId), operation, `task queue "${taskQueue}"`) : undefined;
    try {
      const end = await awaitWorkflowEnd(channel, namespace, start.workflowId, runId);
      if (end.status === 'completed') return { workflowId: start.workflowId, result: end.result as OperationOutput<O> };
      throw remotePassphraseError(end, `the worker at ${cluster.address}`) ?? new OperationFailure(end.type, end.message);
    } finally {
      process.removeListener('SIGINT', cancel);
      line?.stop();
    }
  } catch (err) {
    throw await unreachable(err, cluster);
  } finally {
    channel.close();
  }
}

/** A search attribute's type as the SDK writes it in payload metadata; Meridian's are all Keyword. */
function metadataType(type: string): string {
  if (type !== 'KEYWORD') throw new Error(`search attribute type ${type} is not one the CLI's own calls encode`);
  return 'Keyword';
}

/** What the progress line draws: whether the run still runs, and its progress query merged with its activity's heartbeat. */
async function runningView(channel: GrpcChannel, namespace: string, operation: Operation, workflowId: string): Promise<OperationView> {
  const state = await describeWorkflow(channel, namespace, workflowId);
  if (!state.running) return { workflowId, operation, status: 'completed' };
  return { workflowId, operation, status: 'running', progress: operationProgress(await queryWorkflow(channel, namespace, workflowId, PROGRESS_QUERY), state.activity) };
}

/** A call that never reached Temporal, or that Temporal refused to let through, says "cannot reach" (exit 4); TLS failures in words. */
async function unreachable(err: unknown, cluster: TemporalTarget): Promise<unknown> {
  const refused = err instanceof GrpcError && (err.code === GRPC_STATUS.UNAVAILABLE || err.code === GRPC_STATUS.UNAUTHENTICATED || err.code === GRPC_STATUS.PERMISSION_DENIED);
  if (!(err instanceof GrpcUnreachable) && !refused) return err;
  const cause = (err instanceof GrpcUnreachable && cluster.tls && (await tlsFailure(cluster.address, cluster.tls))) || err;
  return unavailableError(`cannot reach Temporal at ${describeTarget(cluster)}`, cause);
}
