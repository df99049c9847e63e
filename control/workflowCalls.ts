// What the control layer asks of Temporal about one workflow by its id: start it, read its
// status, wait for its end, query it, ask it to cancel. Two clients implement it: the SDK's
// (control/sdkWorkflowCalls.ts: the HTTP API, the CLI's embedded default) and the CLI's own gRPC
// calls (cli/wireWorkflowCalls.ts: a configured cluster, without loading the SDK).

/** How a run ended: its result, or why not (the innermost failure's type and message). */
export type WorkflowEnd = { status: 'completed'; result: unknown } | { status: 'failed' | 'canceled' | 'terminated' | 'timed_out'; type?: string; message: string };

export interface WorkflowStart {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  /** The workflow's one argument. */
  input: unknown;
  /** Shown in Temporal UI. */
  summary: string;
}

export interface WorkflowCalls {
  /** Starts the workflow; refused when an open run holds the id. */
  start(start: WorkflowStart): Promise<void>;
  /** The status of the id's latest run as the SDK names it (RUNNING, COMPLETED, FAILED, CANCELLED, …); undefined when Temporal knows no such id. */
  status(workflowId: string): Promise<string | undefined>;
  /** Waits for the latest run (and the runs it continues as) to end. */
  end(workflowId: string): Promise<WorkflowEnd>;
  /** The answer of a query without arguments; throws when no worker answers within `timeoutMs`. */
  query(workflowId: string, queryType: string, timeoutMs: number): Promise<unknown>;
  /** Asks the latest run to cancel. */
  cancel(workflowId: string): Promise<void>;
}
