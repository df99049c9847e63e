// Meridian's one failure policy: every ApplicationFailure type an activity raises and whether a
// retry can help, the retry policy of the data-plane activities, and the size bound of failure
// messages. Free of Node imports: the workflow bundle, the activities and the CLI all read it.

import type { RetryPolicy } from '@temporalio/common';
import type { RepositoryErrorCode } from '../core/errors.js';

/** Failure type → true when a later attempt can succeed. */
export const FAILURE_RETRYABLE = {
  // RepositoryError codes of the engine (core/errors.ts): the repository or the request is wrong.
  'wrong-passphrase': false,
  'not-a-repository': false,
  'already-initialized': false,
  integrity: false,
  'invalid-argument': false,
  'unsafe-path': false,
  'not-found': false,
  // The worker's configuration does not allow the request (worker/authority.ts).
  refused: false,
  // Another operation holds the repository's exclusive lock: rerun later (core/locks.ts).
  locked: false,
  // Replication (core/replication*.ts): another repository at the target, a write to a replica,
  // and a sync/quorum backup that waited its configured time for replicas (retrying would wait again).
  'not-a-replica': false,
  'replica-read-only': false,
  'replica-unavailable': false,
  // StorageErrors: an object that is not there, a backend that refuses (auth, missing bucket),
  // a backend that does not answer now (retried).
  'storage-not-found': false,
  'storage-permanent': false,
  'storage-unavailable': true,
  // Filesystem errors (of a local repository, a backup source or a restore target).
  'no-space': false,
  filesystem: false,
  // A concurrent operation made this one undo its work (core/errors.ts ConcurrentChangeError): run it again.
  'concurrent-change': true,
  // A webhook that did not answer 2xx (activities/notify.ts): it may be back in a moment.
  'notification-undelivered': true,
  // Anything else: a bounded number of attempts.
  unexpected: true,
} as const satisfies Record<RepositoryErrorCode, false> & Record<string, boolean>;

export type FailureType = keyof typeof FAILURE_RETRYABLE;

export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.entries(FAILURE_RETRYABLE)
  .filter(([, retryable]) => !retryable)
  .map(([type]) => type);

/**
 * Data-plane activities retry after 1, 2, 4 … 32 s then every minute, 10 attempts in all: about
 * 4 minutes of waiting, which rides out a short storage outage (each attempt also retries each
 * storage call for ~13 s) but never loops forever.
 */
export const DATA_PLANE_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/** Longest failure message, in characters: a 4,096-byte path must not make a failure too big for Temporal. */
export const MAX_FAILURE_MESSAGE = 1000;

/** `text` cut in the middle to at most MAX_FAILURE_MESSAGE characters (both ends say the most). */
export function boundedMessage(text: string): string {
  if (text.length <= MAX_FAILURE_MESSAGE) return text;
  const marker = ' … ';
  const keep = MAX_FAILURE_MESSAGE - marker.length;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}${marker}${text.slice(text.length - (keep - head))}`;
}
