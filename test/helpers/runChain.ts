// The run chain of a workflow that continues as new, walked back from its current run: the number
// of history events of each run, newest first (tests bound each run's history with it).

import type { Client, WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export async function runLengths(client: Client, handle: WorkflowHandle): Promise<number[]> {
  const runs: number[] = [];
  let runId: string | undefined = (await handle.describe()).runId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    runs.push(events.length);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}
