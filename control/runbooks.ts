// Runbooks and their executions, shared by `meridian runbook` and the HTTP API: the runbooks this
// configuration can run (runbooks/catalog.ts, read locally), an execution started as the workflow
// `runbook:<name>:<id>` (the worker reads the runbook again at its start), its state (the query,
// or the result once it completed), approvals and rejections of a manual step through the
// workflow's Updates (refused by its validator: `rejected`, with its reason), cancellation, and the
// running and recent executions (Temporal visibility) for the dashboard.
// An execution is named by its workflow id, or the short `<name>:<id>`. Who decides comes from
// the caller's authentication, never from a request body.

import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { RepositoryError } from '../core/errors.js';
import { listRunbooks, resolveRunbook, type RunbookListing, type RunbookSources } from '../runbooks/catalog.js';
import { prepareRunbook } from '../runbooks/parameters.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/catalog.js';
import {
  approveStepUpdate,
  rejectStepUpdate,
  runbookStatusQuery,
  runbookWorkflowId,
  type ResolvedRunbook,
  type RunbookExecutionState,
  type RunbookInput,
  type RunbookParams,
  type StepState,
} from '../workflows/runbookDefs.js';
import { ControlError } from './errors.js';
import { sendUpdate } from './updates.js';

/** The workflow type of an execution (workflows/runbook.ts). */
export const RUNBOOK_WORKFLOW = 'runbookWorkflow';
const STATUS_QUERY_TIMEOUT_MS = 10_000;

export type { RunbookListing, RunbookSources };

export function runbookList(config: RunbookSources | undefined): RunbookListing[] {
  return listRunbooks(config);
}

/** One runbook as this configuration resolves it; not-found when no source has it. */
export function runbookShow(config: RunbookSources | undefined, name: string): ResolvedRunbook {
  try {
    return resolveRunbook(config, name);
  } catch (err) {
    if (err instanceof RepositoryError && err.code === 'not-found') throw new ControlError('not-found', err.message, { cause: err });
    throw err;
  }
}

/** The workflow id of an execution named by its workflow id or by `<name>:<id>`. */
export function executionWorkflowId(execution: string): string {
  const id = execution.startsWith('runbook:') ? execution : `runbook:${execution}`;
  if (!/^runbook:[A-Za-z0-9][A-Za-z0-9._-]*:\S+$/.test(id)) throw new RepositoryError('invalid-argument', `"${execution}" is not a runbook execution (runbook:NAME:ID, or NAME:ID)`);
  return id;
}

/** Starts an execution of `name` (its parameters, steps and references checked here first, so a mistake is seen before anything starts). */
export async function startRunbook(client: Client, config: RunbookSources | undefined, name: string, request: { params: RunbookParams; dryRun?: boolean }, by: string, taskQueue: string) {
  const { runbook } = runbookShow(config, name);
  prepareRunbook(name, runbook, request.params);
  const input: RunbookInput = { runbook: name, params: request.params, ...(request.dryRun ? { dryRun: true } : {}), startedBy: by };
  const id = `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`;
  return client.workflow.start(RUNBOOK_WORKFLOW, {
    taskQueue,
    workflowId: runbookWorkflowId(name, id),
    args: [input],
    staticSummary: `runbook ${name}${request.dryRun ? ' (dry run)' : ''} started by ${by}`,
  });
}

/** The execution's state: its result once completed, else the query (unanswered when no worker answers). */
export async function executionStatus(client: Client, execution: string): Promise<RunbookExecutionState> {
  const handle = client.workflow.getHandle(executionWorkflowId(execution));
  const status = await describeExecution(client, handle.workflowId);
  if (status === 'COMPLETED') return (await handle.result()) as RunbookExecutionState;
  try {
    return await client.withDeadline(Date.now() + STATUS_QUERY_TIMEOUT_MS, () => handle.query(runbookStatusQuery));
  } catch (err) {
    throw new ControlError('unanswered', `no worker answered the status query of ${handle.workflowId}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

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
          e.state = await executionStatus(client, e.workflowId);
        } catch (err) {
          e.unreadable = err instanceof Error ? err.message.split('\n')[0] : String(err);
        }
      }),
  );
  return shown;
}

/** Approves (or rejects) a step waiting for approval, as `by`; answers the step as decided. */
export async function decideStep(client: Client, execution: string, decision: 'approve' | 'reject', request: { step: string; note?: string }, by: string): Promise<StepState> {
  const handle = client.workflow.getHandle(executionWorkflowId(execution));
  const notRunning = (status: string) => new ControlError('rejected', `${handle.workflowId} is not running (${status.toLowerCase()}): no step waits for a decision`);
  const status = await describeExecution(client, handle.workflowId);
  if (status !== 'RUNNING') throw notRunning(status);
  const args = { step: request.step, by, ...(request.note !== undefined ? { note: request.note } : {}) };
  try {
    return await sendUpdate(client, handle, decision === 'approve' ? approveStepUpdate : rejectStepUpdate, [args], []);
  } catch (err) {
    // The execution may finish between the check above and the Update: Temporal then answers that
    // it is not found, which is the same refusal as finding it finished.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    throw notRunning(await describeExecution(client, handle.workflowId));
  }
}

/** Asks the execution to cancel (its running step is cancelled, its status becomes cancelled). */
export async function cancelExecution(client: Client, execution: string): Promise<{ workflowId: string; cancelRequested: boolean }> {
  const handle = client.workflow.getHandle(executionWorkflowId(execution));
  const status = await describeExecution(client, handle.workflowId);
  if (status !== 'RUNNING') throw new ControlError('rejected', `${handle.workflowId} is not running (${status.toLowerCase()})`);
  await handle.cancel();
  return { workflowId: handle.workflowId, cancelRequested: true };
}

async function describeExecution(client: Client, workflowId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ControlError('not-found', `no runbook execution ${workflowId}`, { cause: err });
    throw err;
  }
}
