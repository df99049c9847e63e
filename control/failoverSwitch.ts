// Manual failover and failback of a failover monitor (`failover:<name>`), shared by `meridian
// failover` and the HTTP API: the monitor's Updates, which answer the event id once the switch is
// done. The identity of who asks comes from the caller's authentication (API token name, CLI
// user), never from a request body.

import type { Client } from '@temporalio/client';
import { failbackUpdate, failoverUpdate, type SwitchAccepted } from '../workflows/failoverDefs.js';
import { runningMonitor, type FailoverNames } from './failover.js';
import { sdkWorkflowCalls } from './sdkWorkflowCalls.js';
import { sendUpdate } from './updates.js';

/** The failure type of a switch that began and could not finish (workflows/failover.ts). */
const SWITCH_FAILED = ['switch-failed'];

/** Moves the active region to `to` (default: the first healthy secondary); answers once the switch is done. */
export async function triggerFailover(client: Client, config: FailoverNames | undefined, name: string, request: { to?: string; reason?: string }, by: string): Promise<SwitchAccepted> {
  const handle = client.workflow.getHandle(await runningMonitor(sdkWorkflowCalls(client), config, name));
  const args = { ...(request.to !== undefined ? { to: request.to } : {}), ...(request.reason !== undefined ? { reason: request.reason } : {}), by };
  return sendUpdate(client, handle, failoverUpdate, [args], SWITCH_FAILED);
}

/** Moves the active region back to the original primary; answers once the switch is done. */
export async function triggerFailback(client: Client, config: FailoverNames | undefined, name: string, request: { reason?: string }, by: string): Promise<SwitchAccepted> {
  const handle = client.workflow.getHandle(await runningMonitor(sdkWorkflowCalls(client), config, name));
  const args = { ...(request.reason !== undefined ? { reason: request.reason } : {}), by };
  return sendUpdate(client, handle, failbackUpdate, [args], SWITCH_FAILED);
}
