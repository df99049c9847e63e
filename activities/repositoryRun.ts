// How every activity reaches a repository: its request admitted by the worker's authority (nothing
// is opened or touched before), the repository opened with the passphrase the worker holds, a
// lock held for the whole run (core/locks.ts) and the storage closed after. The lock's loss
// (removed by `meridian unlock`, or not refreshed in time) aborts the run through the signal the
// operation gets, with a retryable failure, and so does the activity's cancellation; a backup's
// snapshot, once committed and checked, stands whatever happens to the lock after (see withRepository).

import { Context } from '@temporalio/activity';
import { acquireLock, CommitFence, HeldLock, LockTimings } from '../core/locks.js';
import { Repository } from '../core/repository.js';
import type { AdmissionRequest, AdmittedRepository, Authority } from '../worker/authority.js';
import { openRepository } from '../worker/repositories.js';

export interface RepositoryDeps {
  /** Decides what the worker may do, and holds its passphrases; never from workflow input. */
  authority: Authority;
  /** Opens an admitted repository; defaults to its storage as it is (a test slows it down). */
  openRepository?: (admitted: AdmittedRepository) => Promise<Repository>;
  /** Lock refresh interval and stale age (MERIDIAN_LOCK_REFRESH_SECONDS, MERIDIAN_LOCK_STALE_SECONDS); defaults 30 s and 5 min. */
  lockTimings?: LockTimings;
}

/**
 * The lock a run holds: its operation, exclusive or not (prune and index repair); or 'none' for a
 * run that must not hold one (unlock, which removes locks).
 */
export type RunLock = { operation: string; exclusive?: boolean } | 'none';

export interface RepositoryRun extends AdmissionRequest {
  lock: RunLock;
}

/**
 * Runs `use` on the admitted repository while holding the run's lock. `use` gets the signal to
 * stop on (the activity's cancellation or the loss of the lock), the lock (for core/prune.ts,
 * which checks it before each change) and the fence of a commit (for core/archiver.ts: the lock
 * confirmed just before the snapshot is committed, and the result declared committed once the
 * post-commit plan check passed). A run whose lock was lost at any point fails retryably, whatever
 * it returned (a prune may have deleted what it read), unless it declared its result committed.
 *
 * Why a backup's committed result stands when the lock is lost after its commit (or between the
 * confirmation and the commit): the lock only keeps a prune from deleting what the backup uses
 * before the backup's snapshot exists, and the post-commit plan check already decides that case
 * by what is in storage. It passed, so no prune plan the backup had not seen was sweeping yet: any
 * sweep begins later, writes `sweeping` before listing snapshots, so it walks this snapshot and
 * rescues the condemned packs it uses, and it keeps the backup's packs, which the index written
 * before the snapshot names; plans the backup had seen, it avoided; a prune that marks later walks
 * the snapshot like any other. The backup touches nothing after that check. Failing it then would
 * only make Temporal run it again and store the same backup twice.
 */
export async function withRepository<T>(
  deps: RepositoryDeps,
  request: RepositoryRun,
  cancellation: AbortSignal,
  use: (repo: Repository, signal: AbortSignal, lock: HeldLock | undefined, commit: CommitFence | undefined) => Promise<T>,
): Promise<T> {
  const { lock: runLock, ...admission } = request;
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  const repo = await (deps.openRepository ?? openRepository)(await deps.authority.admit({ ...admission, workflowId }));
  try {
    if (runLock === 'none') return await use(repo, cancellation, undefined, undefined);
    const lock = await acquireLock(repo, { ...runLock, workflowId, timings: deps.lockTimings, signal: cancellation });
    let committed = false;
    const commit: CommitFence = {
      beforeCommit: () => lock.confirm(),
      committed: () => {
        committed = true;
      },
    };
    try {
      const result = await use(repo, lock.signal, lock, commit);
      if (!committed) await lock.confirm();
      return result;
    } catch (err) {
      lock.assertHeld(); // the loss of the lock explains the error better (and is retryable)
      throw err;
    } finally {
      // A lock that cannot be deleted now (storage unreachable) goes stale: not worth failing the run for.
      await lock.release().catch((err: unknown) => Context.current().log.warn('could not remove the lock of this run; it will go stale', { lock: lock.id, error: String(err) }));
    }
  } finally {
    await repo.storage.close();
  }
}
