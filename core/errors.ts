// Named errors of the repository engine. Each has a stable `code` that the activities, the CLI
// (exit codes) and the API (HTTP statuses) map in one place each.

export type RepositoryErrorCode =
  | 'wrong-passphrase'
  | 'not-a-repository'
  | 'already-initialized'
  | 'integrity'
  | 'invalid-argument'
  | 'unsafe-path'
  | 'not-found'
  /** Outside the worker's configuration: a repository it does not serve, a path outside its roots. */
  | 'refused'
  /** Another operation holds an exclusive lock on the repository (a prune, an index repair). */
  | 'locked'
  /** Replication: a target holds another repository (another id), or none yet (`init --replica-of` first). */
  | 'not-a-replica'
  /** Replication: the repository is a replica, written only by replication; run this on the primary. */
  | 'replica-read-only'
  /** Sync or quorum replication: not enough replicas held the backup's data before the configured timeout. */
  | 'replica-unavailable';

export class RepositoryError extends Error {
  constructor(
    readonly code: RepositoryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RepositoryError';
  }
}

export const wrongPassphrase = (location: string) =>
  new RepositoryError('wrong-passphrase', `[repository] no key of ${location} opens with this passphrase`);

export const integrityError = (what: string, cause?: unknown) =>
  new RepositoryError('integrity', `[repository] ${what} failed its integrity check`, { cause });

export const invalidArgument = (message: string) => new RepositoryError('invalid-argument', message);

/**
 * The operation met a concurrent one and undid its own work; starting it again succeeds (a
 * backup whose snapshot may name data a prune's sweep deleted). Retryable, unlike RepositoryError.
 */
export class ConcurrentChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentChangeError';
  }
}
