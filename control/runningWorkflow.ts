// Whether a long-running workflow (a failover monitor, the SLA monitor) is running now: a workflow
// id with no execution, or whose latest execution has ended, is not running.

import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';

export async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
