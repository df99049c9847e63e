// How an operation failed, read without loading the Temporal SDK (so that the CLI's error mapping
// costs nothing to commands that never reach Temporal): a second start of an operation that runs
// one per repository, and the innermost cause of a failed workflow.

import type { Operation } from '../workflows/catalog.js';
import { isTemporalError } from './temporalErrors.js';

/** A second start of an operation that runs one at a time per repository (a prune) while one runs. */
export class OperationRunningError extends Error {
  constructor(
    readonly operation: Operation,
    readonly workflowId: string,
  ) {
    super(`a ${operation} of this repository is already running (workflow ${workflowId}); wait for it to finish, or follow it with GET /v1/operations/{workflowId} or temporal workflow describe`);
    this.name = 'OperationRunningError';
  }
}

/** The innermost cause of a workflow failure: the activity's ApplicationFailure, usually. */
export function describeFailure(err: unknown): { type?: string; message: string } {
  let cause: unknown = isTemporalError(err, 'WorkflowFailedError') ? err.cause : err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  const type = cause && typeof cause === 'object' && 'type' in cause ? (cause as { type?: string }).type ?? undefined : undefined;
  return { type, message: cause instanceof Error ? cause.message : String(cause) };
}
