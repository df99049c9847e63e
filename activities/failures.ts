// Maps engine, storage and filesystem errors to Temporal failures, with the types and
// retryability of workflows/failurePolicy.ts and messages bounded in size. Raw filesystem errors
// that retrying cannot fix (permission denied, read-only, full disk, name too long…) fail at once
// with a one-line message; errors nobody classified get the policy's bounded retries.

import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { ConcurrentChangeError, RepositoryError } from '../core/errors.js';
import { StorageError } from '../storage/storage.js';
import { boundedMessage, FAILURE_RETRYABLE, FailureType } from '../workflows/failurePolicy.js';

/** Filesystem error codes that a retry cannot fix, with what they mean. */
const PERMANENT_FILESYSTEM_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'name too long',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
};

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

export function toFailure(err: unknown): unknown {
  if (err instanceof TemporalFailure) return err; // ApplicationFailure, or the activity's cancellation
  if (err instanceof RepositoryError) return failure(err.code, err.message);
  if (err instanceof ConcurrentChangeError) return failure('concurrent-change', err.message);
  const code = errnoCode(err);
  if (err instanceof StorageError) {
    if (code && NO_SPACE.has(code)) return failure('no-space', err.message);
    if (err.kind === 'transient') return failure('storage-unavailable', `storage unreachable: ${err.message}`);
    if (err.kind === 'refused') return failure('refused', err.message);
    return failure(`storage-${err.kind}`, err.message);
  }
  if (code && code in PERMANENT_FILESYSTEM_ERRORS) return failure(NO_SPACE.has(code) ? 'no-space' : 'filesystem', filesystemMessage(err as NodeJS.ErrnoException, code));
  return failure('unexpected', typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err));
}

/** Runs an activity body, converting its errors with toFailure. */
export async function withFailureMapping<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toFailure(err);
  }
}

function failure(type: FailureType, message: string): ApplicationFailure {
  // No cause: its message (a long path, say) would travel unbounded.
  return ApplicationFailure.create({ type, message: boundedMessage(message), nonRetryable: !FAILURE_RETRYABLE[type] });
}

/** The errno code of `err` or of the first error in its cause chain that has one. */
function errnoCode(err: unknown): string | undefined {
  // Not `instanceof Error`: errors of another realm (a worker thread, a vm context) count too.
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as Error).cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** `[filesystem] open /target/a.tif: read-only file system (EROFS)`; `symlink x → /target/l: …`. */
function filesystemMessage(err: NodeJS.ErrnoException & { dest?: string }, code: string): string {
  const where = [err.syscall, err.path, err.dest && `→ ${err.dest}`].filter(Boolean).join(' ');
  return `[filesystem] ${where || err.message}: ${PERMANENT_FILESYSTEM_ERRORS[code]} (${code})`;
}
