// Recognizes the Temporal SDK's errors without loading the SDK, so that the places that map
// errors (the CLI's exit codes, the control errors) cost nothing to code that never reaches Temporal.

import type { ServiceError, WorkflowFailedError } from '@temporalio/client';

interface TemporalErrors {
  ServiceError: ServiceError;
  WorkflowFailedError: WorkflowFailedError;
}

/**
 * `err instanceof <name>` as the SDK itself decides it: its error classes mark their prototype
 * with `Symbol.for('__temporal_is<name>')` (cross-realm safe), read here without importing them.
 */
export function isTemporalError<N extends keyof TemporalErrors>(err: unknown, name: N): err is TemporalErrors[N] {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[Symbol.for(`__temporal_is${name}`)] === true;
}
