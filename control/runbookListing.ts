// The running runbook executions and the newest closed ones, from Temporal visibility, each with
// its state when it can be read (the dashboard's Runbooks page).

import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/catalog.js';
import type { RunbookExecutionState } from '../workflows/runbookDefs.js';
import { executionStatus, RUNBOOK_WORKFLOW } from './runbooks.js';
import { sdkWorkflowCalls } from './sdkWorkflowCalls.js';

/** An execution as a listing shows it: its state when it can be read, else what visibility says. */
export interface ExecutionListing {
  workflowId: string;
  runbook?: string;
  /** The workflow's status (RUNNING, COMPLETED, FAILED, …) and the execution's own (MeridianRunbookStatus). */
  workflowStatus: string;
  status?: string;
  startedAt: string;
  state?: RunbookExecutionState;
  /** Why the state could not be read (no worker answered). */
  unreadable?: string;
}

/** The running executions and the newest closed ones (up to `limit`), newest first; each running or completed one with its state. */
export async function recentExecutions(client: Client, limit = 10): Promise<ExecutionListing[]> {
  const found: ExecutionListing[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = '${RUNBOOK_WORKFLOW}'`, pageSize: 50 })) {
    const status = info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.runbookStatus);
    const runbook = info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.runbook);
    found.push({ workflowId: info.workflowId, workflowStatus: info.status.name, startedAt: info.startTime.toISOString(), ...(runbook !== undefined ? { runbook } : {}), ...(status !== undefined ? { status } : {}) });
    if (found.length >= 50) break;
  }
  const shown = found.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).filter((e, i) => e.workflowStatus === 'RUNNING' || i < limit);
  await Promise.all(
    shown
      .filter((e) => e.workflowStatus === 'RUNNING' || e.workflowStatus === 'COMPLETED')
      .map(async (e) => {
        try {
          e.state = await executionStatus(sdkWorkflowCalls(client), e.workflowId);
        } catch (err) {
          e.unreadable = err instanceof Error ? err.message.split('\n')[0] : String(err);
        }
      }),
  );
  return shown;
}
