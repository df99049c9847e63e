// Runs one operation on a configured Temporal cluster with the CLI's own gRPC calls (cli/wire/):
// start the workflow as the SDK would (the same id, search attributes and summary), long-poll its
// history for the close event, cancel it on Ctrl-C, and on a terminal feed the progress line from
// its description and progress query. It loads no Temporal SDK, which saves a command ~0.13–0.25 s
// of loading and connecting before any work starts. A `meridian worker` elsewhere does the work,
// with its own passphrases: this shell's are never sent.

import { OperationRunningError } from '../api/operationFailures.js';
import type { OperationView } from '../api/operations.js';
import { operationProgress } from '../api/operationProgress.js';
import { operationStart, PROGRESS_QUERY, type Operation, type OperationInput, type OperationOutput } from '../workflows/catalog.js';
import { OperationFailure } from './exitCodes.js';
import { callerIdentity, withGrpcChannel } from './grpcCluster.js';
import type { OperationRun } from './operation.js';
import { notice, progressWanted } from './output.js';
import { showProgress } from './progress.js';
import { remotePassphraseError } from './remotePassphrase.js';
import type { TemporalTarget } from './temporalSettings.js';
import type { GrpcChannel } from './wire/grpc.js';
import { GRPC_STATUS, GrpcError } from './wire/grpcError.js';
import { awaitWorkflowEnd, describeWorkflow, queryWorkflow, requestCancel, startWorkflow } from './wire/workflowService.js';

export interface ClusterQueue {
  cluster: TemporalTarget;
  namespace: string;
  taskQueue: string;
}

/** A progress query that no worker answers in this time is skipped (the line says it waits for a worker). */
const PROGRESS_QUERY_MS = 3_000;

export async function runOverGrpc<O extends Operation>({ cluster, namespace, taskQueue }: ClusterQueue, operation: O, input: OperationInput<O>): Promise<OperationRun<O>> {
  const identity = callerIdentity();
  const start = operationStart(operation, input, new Date());
  return withGrpcChannel(cluster, async (channel) => {
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
  });
}

/** A search attribute's type as the SDK writes it in payload metadata; Meridian's are all Keyword. */
function metadataType(type: string): string {
  if (type !== 'KEYWORD') throw new Error(`search attribute type ${type} is not one the CLI's own calls encode`);
  return 'Keyword';
}

/** What the progress line draws: whether the run still runs, and its progress query merged with its activity's heartbeat. */
async function runningView(channel: GrpcChannel, namespace: string, operation: Operation, workflowId: string): Promise<OperationView> {
  const state = await describeWorkflow(channel, namespace, workflowId);
  if (state.status !== 'RUNNING') return { workflowId, operation, status: 'completed' };
  // A query no worker answers yet (none has picked the workflow up) leaves the heartbeat alone.
  const answer = await queryWorkflow(channel, namespace, workflowId, PROGRESS_QUERY, PROGRESS_QUERY_MS).catch(() => undefined);
  return { workflowId, operation, status: 'running', progress: operationProgress(answer, state.activity) };
}
