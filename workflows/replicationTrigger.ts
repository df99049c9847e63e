// Asking a replica set's workflow for a pass, from another workflow (a backup of the primary, the
// set's Schedule tick): start `replication:<set>` as an abandoned child when none runs, else signal
// the running one. Either way exactly one execution per set serializes every pass.

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { getExternalWorkflowHandle, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTE_KEYS } from './catalog.js';
import { replicateSignal, ReplicateRequest, replicationWorkflowId, ReplicationWorkflowInput } from './replicationDefs.js';

/** How a replica set's workflow is found in Temporal (MeridianOperation=replication, MeridianSource=<set>). */
export function replicationSearchAttributes(set: string) {
  return [
    { key: SEARCH_ATTRIBUTE_KEYS.operation, value: 'replication' },
    { key: SEARCH_ATTRIBUTE_KEYS.source, value: set },
  ];
}

/** Tries this often when the set's workflow closes between our start and our signal. */
const ATTEMPTS = 3;

/**
 * Starts the set's workflow (which runs a pass when it starts) or signals the running one with
 * `request`. The child is abandoned: it outlives the caller, which waits only for its start.
 */
export async function triggerReplication(set: string, request: ReplicateRequest): Promise<void> {
  const workflowId = replicationWorkflowId(set);
  const input: ReplicationWorkflowInput = { set };
  for (let attempt = 1; ; attempt += 1) {
    try {
      const child = await startChild('replicationWorkflow', {
        workflowId,
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: replicationSearchAttributes(set),
      });
      // The new run passes anyway; the request still tells it what the backup added (lag).
      await child.signal(replicateSignal, request);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    try {
      await getExternalWorkflowHandle(workflowId).signal(replicateSignal, request);
      return;
    } catch (err) {
      if (attempt >= ATTEMPTS) throw err;
    }
  }
}
