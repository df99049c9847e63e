// The WorkflowCalls (control/workflowCalls.ts) a CLI command runs with: on a configured cluster,
// the CLI's own gRPC calls (cli/wire/), which load no Temporal SDK (~0.13 s of every start on
// Node.js 20); on the embedded default, the SDK's client of the dev server under MERIDIAN_HOME.

import type { WorkflowCalls } from '../control/workflowCalls.js';
import { callerIdentity, withGrpcChannel } from './grpcCluster.js';
import { temporalSettings } from './temporalSettings.js';
import type { GrpcChannel } from './wire/grpc.js';
import { GRPC_STATUS, GrpcError } from './wire/grpcError.js';
import { updateWorkflow } from './wire/workflowUpdate.js';
import { awaitWorkflowEnd, describeWorkflow, queryWorkflow, requestCancel, signalWithStart, startWorkflow } from './wire/workflowService.js';

export async function withWorkflowCalls<T>(body: (calls: WorkflowCalls) => Promise<T>): Promise<T> {
  const settings = temporalSettings();
  if (settings.cluster) return withGrpcChannel(settings.cluster, (channel) => body(wireWorkflowCalls(channel, settings.namespace)));
  const [{ withTemporalClient }, { sdkWorkflowCalls }] = await Promise.all([import('./temporal.js'), import('../control/sdkWorkflowCalls.js')]);
  return withTemporalClient((client) => body(sdkWorkflowCalls(client)));
}

export function wireWorkflowCalls(channel: GrpcChannel, namespace: string): WorkflowCalls {
  const identity = callerIdentity();
  return {
    async start(start) {
      await startWorkflow(channel, { ...start, namespace, identity, searchAttributes: [] });
    },
    signalWithStart: (start, signal) => signalWithStart(channel, { ...start, namespace, identity }, signal),
    async status(workflowId) {
      try {
        return (await describeWorkflow(channel, namespace, workflowId)).status;
      } catch (err) {
        if (err instanceof GrpcError && err.code === GRPC_STATUS.NOT_FOUND) return undefined;
        throw err;
      }
    },
    end: (workflowId) => awaitWorkflowEnd(channel, namespace, workflowId, ''),
    query: (workflowId, queryType, timeoutMs, args = []) => queryWorkflow(channel, namespace, workflowId, queryType, timeoutMs, args),
    update: (workflowId, name, args, acceptTimeoutMs) => updateWorkflow(channel, { namespace, workflowId, name, args, identity }, acceptTimeoutMs),
    cancel: (workflowId) => requestCancel(channel, namespace, workflowId, '', identity),
  };
}
