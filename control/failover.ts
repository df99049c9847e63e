// Reading and moving a failover monitor (`failover:<name>`), shared by `meridian failover` and the
// HTTP API: its state by the failoverStatus query, and manual failover / failback by its Updates,
// which answer the event id once the switch is done. The identity of who asks comes from the
// caller's authentication (API token name, CLI user), never from a request body.

import type { Client } from '@temporalio/client';
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
import { isRunning } from './runningWorkflow.js';
import { sendUpdate } from './updates.js';

/** How long a status query waits for a worker. */
const STATUS_QUERY_TIMEOUT_MS = 10_000;
/** The failure type of a switch that began and could not finish (workflows/failover.ts). */
const SWITCH_FAILED = ['switch-failed'];

/** What names failover entries: the file's `failover:` section, when the caller has one. */
export interface FailoverNames {
  failover?: Record<string, unknown>;
}

/** The monitor's state; not-found when no monitor of that name runs, unanswered when no worker answers. */
export async function failoverStatus(client: Client, config: FailoverNames | undefined, name: string): Promise<FailoverState> {
  const handle = await runningMonitor(client, config, name);
  try {
    return await client.withDeadline(Date.now() + STATUS_QUERY_TIMEOUT_MS, () => handle.query(failoverStatusQuery));
  } catch (err) {
    throw new ControlError('unanswered', `no worker answered the status query of ${handle.workflowId}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

/** The events the monitor keeps, oldest first. */
export async function failoverEvents(client: Client, config: FailoverNames | undefined, name: string): Promise<FailoverEvent[]> {
  return (await failoverStatus(client, config, name)).events;
}

/** Moves the active region to `to` (default: the first healthy secondary); answers once the switch is done. */
export async function triggerFailover(client: Client, config: FailoverNames | undefined, name: string, request: { to?: string; reason?: string }, by: string): Promise<SwitchAccepted> {
  const handle = await runningMonitor(client, config, name);
  const args = { ...(request.to !== undefined ? { to: request.to } : {}), ...(request.reason !== undefined ? { reason: request.reason } : {}), by };
  return sendUpdate(client, handle, failoverUpdate, [args], SWITCH_FAILED);
}

/** Moves the active region back to the original primary; answers once the switch is done. */
export async function triggerFailback(client: Client, config: FailoverNames | undefined, name: string, request: { reason?: string }, by: string): Promise<SwitchAccepted> {
  const handle = await runningMonitor(client, config, name);
  const args = { ...(request.reason !== undefined ? { reason: request.reason } : {}), by };
  return sendUpdate(client, handle, failbackUpdate, [args], SWITCH_FAILED);
}

async function runningMonitor(client: Client, config: FailoverNames | undefined, name: string) {
  const handle = client.workflow.getHandle(failoverWorkflowId(name));
  if (await isRunning(handle)) return handle;
  const known = Object.keys(config?.failover ?? {});
  const listed = known.length === 0 ? 'meridian.yaml defines none' : `meridian.yaml defines ${known.join(', ')}`;
  throw new ControlError('not-found', known.includes(name) ? `no failover monitor ${handle.workflowId} is running (meridian apply starts it)` : `no failover named "${name}" is running (${listed})`);
}
