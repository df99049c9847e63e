// Runbooks and their executions, shared by `meridian runbook` and the HTTP API: the runbooks this
// configuration can run (runbooks/catalog.ts, read locally), an execution started as the workflow
// `runbook:<name>:<id>` (the worker reads the runbook again at its start), its state (the query,
// or the result once it completed), approvals and rejections of a manual step through the
// workflow's Updates (refused by its validator: `rejected`, with its reason), cancellation, and the
// running and recent executions (Temporal visibility) for the dashboard.
// An execution is named by its workflow id, or the short `<name>:<id>`. Who starts it comes from
// the caller's authentication, never from a request body. All of it goes through WorkflowCalls,
// so the CLI does it without the SDK; listings (control/runbookListing.ts) need the SDK's client.

import { randomBytes } from 'node:crypto';
import { RepositoryError } from '../core/errors.js';
import { listRunbooks, resolveRunbook, type RunbookListing, type RunbookSources } from '../runbooks/catalog.js';
import { prepareRunbook } from '../runbooks/parameters.js';
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
import { askState, type WorkflowCalls } from './workflowCalls.js';

/** The workflow type of an execution (workflows/runbook.ts). */
export const RUNBOOK_WORKFLOW = 'runbookWorkflow';

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

/** Starts an execution of `name` (its parameters, steps and references checked here first, so a mistake is seen before anything starts); answers its workflow id. */
export async function startRunbook(calls: WorkflowCalls, config: RunbookSources | undefined, name: string, request: { params: RunbookParams; dryRun?: boolean }, by: string, taskQueue: string): Promise<string> {
  const { runbook } = runbookShow(config, name);
  prepareRunbook(name, runbook, request.params);
  const input: RunbookInput = { runbook: name, params: request.params, ...(request.dryRun ? { dryRun: true } : {}), startedBy: by };
  const id = `${new Date().toISOString().replace(/[-:]|\.\d+/g, '')}-${randomBytes(3).toString('hex')}`;
  const workflowId = runbookWorkflowId(name, id);
  await calls.start({ workflowType: RUNBOOK_WORKFLOW, workflowId, taskQueue, input, summary: `runbook ${name}${request.dryRun ? ' (dry run)' : ''} started by ${by}` });
  return workflowId;
}

/** The execution's state: its result once completed, else the query (unanswered when no worker answers). */
export async function executionStatus(calls: WorkflowCalls, execution: string): Promise<RunbookExecutionState> {
  const workflowId = executionWorkflowId(execution);
  const status = await describeExecution(calls, workflowId);
  if (status === 'COMPLETED') {
    const end = await calls.end(workflowId);
    if (end.status === 'completed') return end.result as RunbookExecutionState;
  }
  return askState<RunbookExecutionState>(calls, workflowId, runbookStatusQuery);
}

/** Waits for the execution to end and answers its state, failed or not. */
export async function executionEnd(calls: WorkflowCalls, workflowId: string): Promise<RunbookExecutionState> {
  const end = await calls.end(workflowId);
  // A failed or cancelled execution: its state (the query) says which step and why.
  return end.status === 'completed' ? (end.result as RunbookExecutionState) : executionStatus(calls, workflowId);
}

/** Approves (or rejects) a step waiting for approval, as `by`; answers the step as decided. */
export async function decideStep(calls: WorkflowCalls, execution: string, decision: 'approve' | 'reject', request: { step: string; note?: string }, by: string): Promise<StepState> {
  const workflowId = executionWorkflowId(execution);
  const notRunning = (status: string) => new ControlError('rejected', `${workflowId} is not running (${status.toLowerCase()}): no step waits for a decision`);
  const status = await describeExecution(calls, workflowId);
  if (status !== 'RUNNING') throw notRunning(status);
  const args = { step: request.step, by, ...(request.note !== undefined ? { note: request.note } : {}) };
  try {
    return await sendUpdate(calls, workflowId, decision === 'approve' ? approveStepUpdate : rejectStepUpdate, [args], []);
  } catch (err) {
    // The execution may finish between the check above and the Update: Temporal then answers that
    // it is not found, which is the same refusal as finding it finished.
    if (!(err instanceof ControlError && err.code === 'not-found')) throw err;
    throw notRunning(await describeExecution(calls, workflowId));
  }
}

/** Asks the execution to cancel (its running step is cancelled, its status becomes cancelled). */
export async function cancelExecution(calls: WorkflowCalls, execution: string): Promise<{ workflowId: string; cancelRequested: boolean }> {
  const workflowId = executionWorkflowId(execution);
  const status = await describeExecution(calls, workflowId);
  if (status !== 'RUNNING') throw new ControlError('rejected', `${workflowId} is not running (${status.toLowerCase()})`);
  await calls.cancel(workflowId);
  return { workflowId, cancelRequested: true };
}

/** The status of the execution's workflow (RUNNING, COMPLETED, …); not-found when there is none. */
async function describeExecution(calls: WorkflowCalls, workflowId: string): Promise<string> {
  const status = await calls.status(workflowId);
  if (status === undefined) throw new ControlError('not-found', `no runbook execution ${workflowId}`);
  return status;
}
