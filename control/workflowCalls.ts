// What the control layer asks of Temporal about one workflow by its id: start it, read its
// status, wait for its end, query it, send it an Update, ask it to cancel. Two clients implement
// it: the SDK's (control/sdkWorkflowCalls.ts: the HTTP API, the CLI's embedded default) and the
// CLI's own gRPC calls (cli/workflowCalls.ts: a configured cluster, without loading the SDK).
// Reading a long-running workflow's state (a runbook execution, a failover monitor, the SLA
// monitor) asks it a query with a deadline, read the same way by each.

import { ControlError } from './errors.js';

/** How long a query of a workflow's state waits for a worker. */
export const STATE_QUERY_TIMEOUT_MS = 10_000;

/** How a run ended: its result, or why not (the innermost failure's type and message). */
export type WorkflowEnd = { status: 'completed'; result: unknown } | { status: 'failed' | 'canceled' | 'terminated' | 'timed_out'; type?: string; message: string };

/** How an Update ended: its result, its failure (the validator's refusal or the handler's), no worker accepting it in time, or no such workflow. */
export type UpdateOutcome = { status: 'completed'; result: unknown } | { status: 'failed'; type?: string; message: string } | { status: 'unaccepted' } | { status: 'not-found' };

export interface WorkflowStart {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  /** The workflow's one argument. */
  input: unknown;
  /** Shown in Temporal UI. */
  summary: string;
  /** An open run holding the id: refuse the start (the default) or use that run. */
  conflict?: 'fail' | 'use-existing';
}

export interface WorkflowCalls {
  /** Starts the workflow; refused when an open run holds the id. */
  start(start: WorkflowStart): Promise<void>;
  /** Signals the workflow, starting it first when no run is open, so the signal is never lost. */
  signalWithStart(start: Omit<WorkflowStart, 'conflict'>, signal: { name: string; args: unknown[] }): Promise<void>;
  /** The status of the id's latest run as the SDK names it (RUNNING, COMPLETED, FAILED, CANCELLED, …); undefined when Temporal knows no such id. */
  status(workflowId: string): Promise<string | undefined>;
  /** Waits for the latest run (and the runs it continues as) to end. */
  end(workflowId: string): Promise<WorkflowEnd>;
  /** The answer of a query; throws when no worker answers within `timeoutMs`. */
  query(workflowId: string, queryType: string, timeoutMs: number, args?: unknown[]): Promise<unknown>;
  /** Sends an Update and waits for its outcome, however long it runs once a worker accepted it within `acceptTimeoutMs`. */
  update(workflowId: string, updateName: string, args: [unknown, ...unknown[]], acceptTimeoutMs: number): Promise<UpdateOutcome>;
  /** Asks the latest run to cancel. */
  cancel(workflowId: string): Promise<void>;
}

/** Whether the id's latest run is running: false when it ended, or when Temporal knows no such id. */
export async function isRunning(calls: WorkflowCalls, workflowId: string): Promise<boolean> {
  return (await calls.status(workflowId)) === 'RUNNING';
}

/** A query of the workflow's state: `unanswered` (exit 4, 503) when no worker answers within STATE_QUERY_TIMEOUT_MS. */
export async function askState<T>(calls: WorkflowCalls, workflowId: string, query: { name: string }, ...args: unknown[]): Promise<T> {
  try {
    return (await calls.query(workflowId, query.name, STATE_QUERY_TIMEOUT_MS, args)) as T;
  } catch (err) {
    throw new ControlError('unanswered', `no worker answered the ${query.name} query of ${workflowId}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}
