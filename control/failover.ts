// Reading and moving a failover monitor (`failover:<name>`), shared by `meridian failover` and the
// HTTP API: its state by the failoverStatus query, and manual failover / failback by its Updates,
// which answer the event id once the switch is done. The identity of who asks comes from the
// caller's authentication (API token name, CLI user), never from a request body. Through
// WorkflowCalls, so the CLI does all of it without the SDK.

import {
  failbackUpdate,
  failoverStatusQuery,
  failoverUpdate,
  failoverWorkflowId,
  type FailoverEvent,
  type FailoverState,
  type SwitchAccepted,
} from '../workflows/failoverDefs.js';
import { ControlError } from './errors.js';
import { sendUpdate } from './updates.js';
import { askState, isRunning, type WorkflowCalls } from './workflowCalls.js';

/** The failure type of a switch that began and could not finish (workflows/failover.ts). */
const SWITCH_FAILED = ['switch-failed'];

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

/** Moves the active region to `to` (default: the first healthy secondary); answers once the switch is done. */
export async function triggerFailover(calls: WorkflowCalls, config: FailoverNames | undefined, name: string, request: { to?: string; reason?: string }, by: string): Promise<SwitchAccepted> {
  const workflowId = await runningMonitor(calls, config, name);
  const args = { ...(request.to !== undefined ? { to: request.to } : {}), ...(request.reason !== undefined ? { reason: request.reason } : {}), by };
  return sendUpdate(calls, workflowId, failoverUpdate, [args], SWITCH_FAILED);
}

/** Moves the active region back to the original primary; answers once the switch is done. */
export async function triggerFailback(calls: WorkflowCalls, config: FailoverNames | undefined, name: string, request: { reason?: string }, by: string): Promise<SwitchAccepted> {
  const workflowId = await runningMonitor(calls, config, name);
  const args = { ...(request.reason !== undefined ? { reason: request.reason } : {}), by };
  return sendUpdate(calls, workflowId, failbackUpdate, [args], SWITCH_FAILED);
}

/** The workflow id of the monitor named `name`, when it runs. */
async function runningMonitor(calls: WorkflowCalls, config: FailoverNames | undefined, name: string): Promise<string> {
  const workflowId = failoverWorkflowId(name);
  if (await isRunning(calls, workflowId)) return workflowId;
  const known = Object.keys(config?.failover ?? {});
  const listed = known.length === 0 ? 'meridian.yaml defines none' : `meridian.yaml defines ${known.join(', ')}`;
  throw new ControlError('not-found', known.includes(name) ? `no failover monitor ${workflowId} is running (meridian apply starts it)` : `no failover named "${name}" is running (${listed})`);
}
