// Reading a failover monitor (`failover:<name>`), shared by `meridian failover` and the HTTP API:
// its state by the failoverStatus query, through WorkflowCalls, so the CLI reads it without the
// SDK. Manual failover and failback: control/failoverSwitch.ts.

import { failoverStatusQuery, failoverWorkflowId, type FailoverEvent, type FailoverState } from '../workflows/failoverDefs.js';
import { ControlError } from './errors.js';
import { askState, isRunning, type WorkflowCalls } from './workflowCalls.js';

/** What names failover entries: the file's `failover:` section, when the caller has one. */
export interface FailoverNames {
  failover?: Record<string, unknown>;
}

/** The monitor's state; not-found when no monitor of that name runs, unanswered when no worker answers. */
export async function failoverStatus(calls: WorkflowCalls, config: FailoverNames | undefined, name: string): Promise<FailoverState> {
  const workflowId = await runningMonitor(calls, config, name);
  return askState<FailoverState>(calls, workflowId, failoverStatusQuery);
}

/** The events the monitor keeps, oldest first. */
export async function failoverEvents(calls: WorkflowCalls, config: FailoverNames | undefined, name: string): Promise<FailoverEvent[]> {
  return (await failoverStatus(calls, config, name)).events;
}

/** The workflow id of the monitor named `name`, when it runs. */
export async function runningMonitor(calls: WorkflowCalls, config: FailoverNames | undefined, name: string): Promise<string> {
  const workflowId = failoverWorkflowId(name);
  if (await isRunning(calls, workflowId)) return workflowId;
  const known = Object.keys(config?.failover ?? {});
  const listed = known.length === 0 ? 'meridian.yaml defines none' : `meridian.yaml defines ${known.join(', ')}`;
  throw new ControlError('not-found', known.includes(name) ? `no failover monitor ${workflowId} is running (meridian apply starts it)` : `no failover named "${name}" is running (${listed})`);
}
