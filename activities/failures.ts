// Maps engine and storage errors to Temporal failures in one place: what retrying cannot fix
// (wrong passphrase, not a repository, corrupt data, bad input, missing bucket) is
// non-retryable; transient storage errors are retried by the activity's retry policy.

import { ApplicationFailure } from '@temporalio/common';
import { RepositoryError } from '../core/errors.js';
import { StorageError } from '../storage/storage.js';

export function toFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof RepositoryError) return ApplicationFailure.nonRetryable(err.message, err.code);
  if (err instanceof StorageError) {
    if (err.kind === 'transient') return ApplicationFailure.retryable(`storage unreachable: ${err.message}`, 'storage-unavailable');
    return ApplicationFailure.nonRetryable(err.message, `storage-${err.kind}`);
  }
  return err;
}

/** Runs an activity body, converting its errors with toFailure. */
export async function withFailureMapping<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toFailure(err);
  }
}
