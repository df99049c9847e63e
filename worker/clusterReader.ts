// ClusterAccess (worker/cluster.ts) over a @temporalio/client Client on the worker's own
// connection: the failover monitor's query and Updates, and the replica set workflow's query and
// replicateNow Update (the set's workflow started first when it does not run, as `meridian apply`
// starts it).

import { Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { failbackUpdate, failoverStatusQuery, failoverUpdate, failoverWorkflowId } from '../workflows/failoverDefs.js';
import { REPLICATION_WORKFLOW, replicateNowUpdate, ReplicationWorkflowInput, replicationStatusQuery, replicationSummary, replicationWorkflowId } from '../workflows/replicationDefs.js';
import type { ClusterAccess } from './cluster.js';

/** `query`'s answer, or undefined when the workflow does not exist. */
async function queryOrUndefined<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** `taskQueue`: where a set's workflow is started when it does not run (the worker's own). */
export function clusterReader(client: Client, taskQueue: string): ClusterAccess {
  return {
    async failoverView(name) {
      const state = await queryOrUndefined(() => client.workflow.getHandle(failoverWorkflowId(name)).query(failoverStatusQuery));
      if (!state) return undefined;
      const { activeRegion, needsResync, switching } = state;
      return { activeRegion, needsResync, ...(switching ? { switching: { from: switching.from, to: switching.to } } : {}) };
    },
    replicationState: (set) => queryOrUndefined(() => client.workflow.getHandle(replicationWorkflowId(set)).query(replicationStatusQuery)),
    failover: (name, request, updateId) => client.workflow.getHandle(failoverWorkflowId(name)).executeUpdate(failoverUpdate, { args: [request], updateId }),
    failback: (name, request, updateId) => client.workflow.getHandle(failoverWorkflowId(name)).executeUpdate(failbackUpdate, { args: [request], updateId }),
    async replicateNow(set, full, updateId) {
      const input: ReplicationWorkflowInput = { set };
      const start = new WithStartWorkflowOperation(REPLICATION_WORKFLOW, {
        workflowId: replicationWorkflowId(set),
        taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [input],
        staticSummary: replicationSummary(set),
      });
      return client.workflow.executeUpdateWithStart(replicateNowUpdate, { args: [{ full }], updateId, startWorkflowOperation: start });
    },
  };
}
