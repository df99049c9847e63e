// The errors of driving a long-running workflow by name (a failover monitor, a runbook execution),
// shared by the CLI and the API so each maps them in its one place: not-found (no such name or
// execution: exit 3 / 404), rejected (an Update's validator refused it, with its one-line message:
// exit 3 / 409), failed (the Update ran and failed: exit 1 / 500 with the message) and unanswered
// (no worker answered a query: exit 4 / 503).

import { isTemporalError } from '../api/temporalErrors.js';

export type ControlErrorCode = 'not-found' | 'rejected' | 'failed' | 'unanswered';

export class ControlError extends Error {
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlError';
  }
}

/**
 * The error of an Update that did not succeed: a failure of one of `failedTypes` (raised by the
 * handler after it ran) is `failed`, any other (the validator's refusal) is `rejected`; the message
 * is the failure's first line.
 */
export function updateError(err: unknown, failedTypes: readonly string[]): unknown {
  if (!isTemporalError(err, 'WorkflowUpdateFailedError')) return err;
  const cause = err.cause;
  const message = (cause instanceof Error ? cause.message : err.message).split('\n')[0]!;
  const failed = isTemporalError(cause, 'ApplicationFailure') && cause.type !== undefined && cause.type !== null && failedTypes.includes(cause.type);
  return new ControlError(failed ? 'failed' : 'rejected', message, { cause: err });
}
