// Exit codes of the `meridian` command, and the one place that maps every error to one of them
// with a one-sentence message and a snake_case code (the `code` of `--json` errors, in the style
// of the HTTP API's): usage mistakes, engine and storage errors, workflow failures (by the
// ApplicationFailure type the activities set) and Temporal being unreachable or refusing a call.
// Temporal's errors are recognized without loading its SDK, which every command would otherwise
// pay for at start.

import { describeFailure, OperationRunningError } from '../api/operationFailures.js';
import { isTemporalError } from '../api/temporalErrors.js';
import { ControlError, type ControlErrorCode } from '../control/errors.js';
import { RepositoryError, RepositoryErrorCode } from '../core/errors.js';
import { StorageError, StorageErrorKind } from '../storage/storage.js';
import type { FailureType } from '../workflows/failurePolicy.js';
import { GrpcError } from './wire/grpcError.js';

export const EXIT = {
  ok: 0,
  /**
   * The operation ran and failed: verify found damage, a restore hit an unsafe path, a restore
   * target cannot be written (no space left, read-only, permission denied), a local repository's
   * disk is full (a repository that refuses writes for another reason is 3); or it could not
   * start: a prune of the repository is already running.
   */
  failed: 1,
  /** Usage or bad input. */
  usage: 2,
  /**
   * Repository or key problem: wrong passphrase, not a repository, corrupt data, storage that
   * refuses for good (permission denied on a repository file, a missing bucket).
   */
  repository: 3,
  /** A backup saved its snapshot without entries it could not read (each named on stderr). */
  incomplete: 3,
  /** Infrastructure unavailable: Temporal, the embedded dev server or storage unreachable. */
  unavailable: 4,
  /** Refused by the worker's configuration: a repository it does not serve, a path outside its roots. */
  refused: 5,
  /** `pg wal-fetch`: any error but a missing WAL file (above 125, PostgreSQL aborts recovery instead of ending it there). */
  walFetchFailed: 126,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI raises itself, with its exit code decided where it is raised. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

/**
 * An operation that failed where a worker ran it, as the HTTP API reports it: the failure type
 * its activity raised (workflows/failurePolicy.ts), if any, and the message.
 */
export class OperationFailure extends Error {
  constructor(
    readonly type: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'OperationFailure';
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);

export const unavailableError = (message: string, cause: unknown) => new CliError(EXIT.unavailable, `${message}: ${messageOf(cause)}`, { cause });

const BY_REPOSITORY_CODE: Record<RepositoryErrorCode, ExitCode> = {
  'wrong-passphrase': EXIT.repository,
  'not-a-repository': EXIT.repository,
  'already-initialized': EXIT.repository,
  integrity: EXIT.repository,
  'invalid-argument': EXIT.usage,
  'not-found': EXIT.usage,
  'unsafe-path': EXIT.failed,
  refused: EXIT.refused,
  // The operation could not run now: another one holds the repository's exclusive lock.
  locked: EXIT.failed,
  'not-a-replica': EXIT.repository,
  'replica-read-only': EXIT.repository,
  // A sync or quorum backup gave up waiting for replicas: a region is unavailable.
  'replica-unavailable': EXIT.unavailable,
};

/** The failure type an activity raises for a storage error of each kind (activities/failures.ts). */
const STORAGE_FAILURE_TYPE: Record<StorageErrorKind, FailureType> = {
  'not-found': 'storage-not-found',
  permanent: 'storage-permanent',
  transient: 'storage-unavailable',
  refused: 'refused',
};

/** The failure types of workflows/failurePolicy.ts, as activities raise them. */
const BY_FAILURE_TYPE: Record<FailureType, ExitCode> = {
  ...BY_REPOSITORY_CODE,
  'storage-not-found': EXIT.repository,
  // Retrying cannot help (permission denied, a missing bucket): a problem of the repository, not an outage.
  'storage-permanent': EXIT.repository,
  'storage-unavailable': EXIT.unavailable,
  'no-space': EXIT.failed,
  filesystem: EXIT.failed,
  // Seen only when every retry met a concurrent prune's sweep.
  'concurrent-change': EXIT.failed,
  // A scheduled run's webhook that never answered 2xx (seen by `schedule describe`, not by a command's run).
  'notification-undelivered': EXIT.failed,
  unexpected: EXIT.failed,
};

function classifyFailureType(type: string | undefined): { exitCode: ExitCode; code: string } {
  if (type !== undefined && type in BY_FAILURE_TYPE) return { exitCode: BY_FAILURE_TYPE[type as FailureType], code: snakeCase(type) };
  return { exitCode: EXIT.failed, code: EXIT_CODE_NAMES[EXIT.failed] };
}

/** A failover or runbook name that does not exist and an Update its validator refused are 3, like an unknown snapshot. */
const BY_CONTROL_CODE: Record<ControlErrorCode, ExitCode> = { 'not-found': EXIT.repository, rejected: EXIT.repository, failed: EXIT.failed, unanswered: EXIT.unavailable };

export interface ClassifiedError {
  exitCode: ExitCode;
  /** What went wrong, in snake_case: a repository error's code, a failure type, or the exit code's name. */
  code: string;
  message: string;
}

/** The code of an error that has no finer one: the name of its exit code. */
const EXIT_CODE_NAMES: Record<ExitCode, string> = { 0: 'ok', 1: 'failed', 2: 'usage', 3: 'repository', 4: 'unavailable', 5: 'refused', 126: 'wal_fetch_failed' };

const snakeCase = (code: string) => code.replaceAll('-', '_');

export function classifyError(err: unknown): ClassifiedError {
  if (err instanceof CliError) return { exitCode: err.exitCode, code: EXIT_CODE_NAMES[err.exitCode], message: messageOf(err) };
  if (err instanceof RepositoryError) return { ...classifyFailureType(err.code), message: messageOf(err) };
  if (err instanceof StorageError) return { ...classifyFailureType(STORAGE_FAILURE_TYPE[err.kind]), message: messageOf(err) };
  if (err instanceof OperationRunningError) return { exitCode: EXIT.failed, code: 'already_running', message: messageOf(err) };
  if (err instanceof ControlError) return { exitCode: BY_CONTROL_CODE[err.code], code: snakeCase(err.code), message: messageOf(err) };
  if (err instanceof OperationFailure) return { ...classifyFailureType(err.type), message: messageOf(err) };
  if (isTemporalError(err, 'WorkflowFailedError')) {
    const failure = describeFailure(err);
    return { ...classifyFailureType(failure.type), message: firstLine(failure.message) };
  }
  if (isTemporalError(err, 'ServiceError') || err instanceof GrpcError) return { exitCode: EXIT.unavailable, code: 'temporal_unavailable', message: `Temporal did not answer: ${messageOf(err.cause ?? err)}` };
  return { exitCode: EXIT.failed, code: EXIT_CODE_NAMES[EXIT.failed], message: messageOf(err) };
}

function messageOf(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err));
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
