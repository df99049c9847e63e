// Runs one operation on a configured Temporal cluster with the CLI's own three gRPC calls (cli/wire/):
// start the workflow as the SDK would (the same id, search attributes and summary), long-poll its
// history for the close event, and cancel it on Ctrl-C. Taken when no progress line is drawn (a
// script, --json, -q): it loads no Temporal SDK, which saves a command ~0.13–0.25 s of loading and
// connecting before any work starts. A `meridian worker` elsewhere does the work, with its own
// passphrases: this shell's are never sent.

import os from 'node:os';
import { OperationRunningError } from '../api/operationFailures.js';
import { operationStart, type Operation, type OperationInput, type OperationOutput } from '../workflows/catalog.js';
import { OperationFailure, unavailableError } from './exitCodes.js';
import type { OperationRun } from './operation.js';
import { notice } from './output.js';
import { remotePassphraseError } from './remotePassphrase.js';
import { describeTarget, type TemporalTarget } from './temporalSettings.js';
import { tlsFailure } from './tlsProbe.js';
import { GrpcChannel } from './wire/grpc.js';
import { GRPC_STATUS, GrpcError, GrpcUnreachable } from './wire/grpcError.js';
import { awaitWorkflowEnd, requestCancel, startWorkflow } from './wire/workflowService.js';

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
    const searchAttributes = start.searchAttributes.map(({ key, value }) => ({ name: key.name, type: 'Keyword', value }));
    const runId = await startWorkflow(channel, { ...start, namespace, identity, taskQueue, input, searchAttributes }).catch((err: unknown) => {
      throw start.onePerRepository && err instanceof GrpcError && err.code === GRPC_STATUS.ALREADY_EXISTS ? new OperationRunningError(operation, start.workflowId) : err;
    });
    const cancel = () => {
      notice(`canceling ${start.workflowId} (Ctrl-C again to stop waiting)`);
      requestCancel(channel, namespace, start.workflowId, runId, identity).catch(() => undefined);
    };
    process.once('SIGINT', cancel);
    try {
      const end = await awaitWorkflowEnd(channel, namespace, start.workflowId, runId);
      if (end.status === 'completed') return { workflowId: start.workflowId, result: end.result as OperationOutput<O> };
      throw remotePassphraseError(end, `the worker at ${cluster.address}`) ?? new OperationFailure(end.type, end.message);
    } finally {
      process.removeListener('SIGINT', cancel);
    }
  } catch (err) {
    throw await unreachable(err, cluster);
  } finally {
    channel.close();
  }
}

/** A call that never reached Temporal, or that Temporal refused to let through, says "cannot reach" (exit 4); TLS failures in words. */
async function unreachable(err: unknown, cluster: TemporalTarget): Promise<unknown> {
  const refused = err instanceof GrpcError && (err.code === GRPC_STATUS.UNAVAILABLE || err.code === GRPC_STATUS.UNAUTHENTICATED || err.code === GRPC_STATUS.PERMISSION_DENIED);
  if (!(err instanceof GrpcUnreachable) && !refused) return err;
  const cause = (err instanceof GrpcUnreachable && cluster.tls && (await tlsFailure(cluster.address, cluster.tls))) || err;
  return unavailableError(`cannot reach Temporal at ${describeTarget(cluster)}`, cause);
}
