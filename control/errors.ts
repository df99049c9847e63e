// The errors of driving a long-running workflow by name (a failover monitor, a runbook execution),
// shared by the CLI and the API so each maps them in its one place: not-found (no such name or
// execution: exit 3 / 404), rejected (an Update's validator refused it, with its one-line message:
// exit 3 / 409), failed (the Update ran and failed: exit 1 / 500 with the message) and unanswered
// (no worker answered a query: exit 4 / 503).

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
