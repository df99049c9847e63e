// Asking a replica set for work, shared by `meridian replication run|verify` and the HTTP API: a
// pass (the `replicate` signal, starting the set's workflow when none runs, so a request is never
// lost), a pass waited for (the `replicateNow` update: the results of the next complete pass), and
// a comparison of the replicas with the primary (replicationVerifyWorkflow, one workflow per request).

import { sendUpdate } from '../control/updates.js';
import type { WorkflowCalls } from '../control/workflowCalls.js';
import type { PassResult } from '../core/replicationTypes.js';
import { RepositoryError } from '../core/errors.js';
import {
  REPLICATION_VERIFY_WORKFLOW,
  REPLICATION_WORKFLOW,
  replicateNowUpdate,
  replicateSignal,
  replicationVerifyWorkflowId,
  replicationSummary,
  replicationWorkflowId,
  type ReplicateRequest,
  type ReplicationVerifyInput,
  type ReplicationWorkflowInput,
} from '../workflows/replicationDefs.js';
import { replicaSetNames, type ReplicationConfig } from './status.js';

/** Signals the set's workflow for a pass (starting it if none runs); answers its workflow id. */
export async function requestPass(calls: WorkflowCalls, config: ReplicationConfig, set: string, full: boolean, taskQueue: string): Promise<string> {
  replicaSetNames(config, set);
  const request: ReplicateRequest = { reason: 'manual', ...(full ? { full: true } : {}) };
  const input: ReplicationWorkflowInput = { set };
  const workflowId = replicationWorkflowId(set);
  await calls.signalWithStart({ workflowType: REPLICATION_WORKFLOW, workflowId, taskQueue, input, summary: replicationSummary(set) }, { name: replicateSignal.name, args: [request] });
  return workflowId;
}

/** Runs the next complete pass of the set (starting its workflow if none runs) and answers its results, one per replica. */
export async function runPassNow(calls: WorkflowCalls, config: ReplicationConfig, set: string, full: boolean, taskQueue: string): Promise<PassResult[]> {
  replicaSetNames(config, set);
  const input: ReplicationWorkflowInput = { set };
  const workflowId = replicationWorkflowId(set);
  await calls.start({ workflowType: REPLICATION_WORKFLOW, workflowId, taskQueue, input, summary: replicationSummary(set), conflict: 'use-existing' });
  return sendUpdate(calls, workflowId, replicateNowUpdate, [full ? { full: true } : {}], []);
}

/** Starts the comparison of every replica of the set (or `replica` alone) with the primary; answers its workflow id. */
export async function startVerify(calls: WorkflowCalls, config: ReplicationConfig, set: string, replica: string | undefined, taskQueue: string): Promise<string> {
  replicaSetNames(config, set);
  const replicas = config.replication[set]!.replicas;
  if (replica !== undefined && !replicas.includes(replica)) {
    throw new RepositoryError('not-found', `"${replica}" is not a replica of set "${set}" (its replicas: ${replicas.join(', ')})`);
  }
  const input: ReplicationVerifyInput = { set, ...(replica !== undefined ? { replica } : {}) };
  const workflowId = replicationVerifyWorkflowId(set, new Date());
  await calls.start({ workflowType: REPLICATION_VERIFY_WORKFLOW, workflowId, taskQueue, input, summary: `comparison of the replicas of ${set}${replica !== undefined ? ` (${replica})` : ''} with the primary` });
  return workflowId;
}
