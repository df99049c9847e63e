// Exit codes of the `meridian` command, and the one place that maps every error to one of them
// with a one-sentence message: usage mistakes, engine and storage errors, workflow failures
// (by the ApplicationFailure type the activities set) and Temporal being unreachable.

import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { describeFailure } from '../api/operations.js';
import { RepositoryError, RepositoryErrorCode } from '../core/errors.js';
import { StorageError, StorageErrorKind } from '../storage/storage.js';

export const EXIT = {
  ok: 0,
  /** The operation ran and failed (verify found damage, a restore hit an unsafe path…). */
  failed: 1,
  /** Usage or bad input. */
  usage: 2,
  /** Repository or key problem: wrong passphrase, not a repository, corrupt data. */
  repository: 3,
  /** Infrastructure unavailable: Temporal or storage unreachable. */
  unavailable: 4,
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
};

const BY_STORAGE_KIND: Record<StorageErrorKind, ExitCode> = {
  'not-found': EXIT.repository,
  permanent: EXIT.unavailable,
  transient: EXIT.unavailable,
};

/** ApplicationFailure types of activities/failures.ts: engine codes and `storage-<kind>`. */
function exitCodeOfFailureType(type: string | undefined): ExitCode {
  if (type === undefined) return EXIT.failed;
  if (type in BY_REPOSITORY_CODE) return BY_REPOSITORY_CODE[type as RepositoryErrorCode];
  if (type === 'storage-unavailable') return EXIT.unavailable;
  const kind = type.startsWith('storage-') ? type.slice('storage-'.length) : '';
  return kind in BY_STORAGE_KIND ? BY_STORAGE_KIND[kind as StorageErrorKind] : EXIT.failed;
}

export function classifyError(err: unknown): { exitCode: ExitCode; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: messageOf(err) };
  if (err instanceof RepositoryError) return { exitCode: BY_REPOSITORY_CODE[err.code], message: messageOf(err) };
  if (err instanceof StorageError) return { exitCode: BY_STORAGE_KIND[err.kind], message: messageOf(err) };
  if (err instanceof WorkflowFailedError) {
    const failure = describeFailure(err);
    return { exitCode: exitCodeOfFailureType(failure.type), message: firstLine(failure.message) };
  }
  if (err instanceof ServiceError) return { exitCode: EXIT.unavailable, message: `Temporal did not answer: ${messageOf(err.cause ?? err)}` };
  return { exitCode: EXIT.failed, message: messageOf(err) };
}

function messageOf(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err));
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
