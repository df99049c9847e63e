// How every activity reaches a repository: its request admitted by the worker's authority (nothing
// is opened or touched before), the repository opened with the passphrase the worker holds, a
// lock held for the whole run (core/locks.ts) and the storage closed after. The lock's loss
// (removed by `meridian unlock`, or not refreshed in time) aborts the run through the signal the
// operation gets, with a retryable failure, and so does the activity's cancellation; a backup's
// snapshot, once committed and checked, stands whatever happens to the lock after (see withRepository).
// An input naming a failover-watched set's configured primary runs on the set's active member
// (worker/activeRegion.ts), and the result says so (activeRepository).

import { Context } from '@temporalio/activity';
import { acquireLock, CommitFence, HeldLock, LockTimings } from '../core/locks.js';
import { Repository } from '../core/repository.js';
import { ConcurrentChangeError, RepositoryError } from '../core/errors.js';
import { failoverOfSet, resolveActiveRepository } from '../worker/activeRegion.js';
import type { AdmissionRequest, AdmittedRepository, Authority } from '../worker/authority.js';
import type { ClusterAccess } from '../worker/cluster.js';
import type { ResolvedReplicaSet } from '../worker/replicationSets.js';
import type { WorkerConfig } from '../worker/workerConfig.js';
import type { RanOn } from '../workflows/shared.js';
import { openRepository } from '../worker/repositories.js';

export interface RepositoryDeps {
  /** Decides what the worker may do, and holds its passphrases; never from workflow input. */
  authority: Authority;
  /** Opens an admitted repository; defaults to its storage as it is (a test slows it down). */
  openRepository?: (admitted: AdmittedRepository) => Promise<Repository>;
  /** Lock refresh interval and stale age (MERIDIAN_LOCK_REFRESH_SECONDS, MERIDIAN_LOCK_STALE_SECONDS); defaults 30 s and 5 min. */
  lockTimings?: LockTimings;
  /** The worker's meridian.yaml (its replica sets and failover entries) and the cluster's monitors: the active member of a set. */
  workerConfig?: WorkerConfig;
  cluster?: ClusterAccess;
}

/** Where a run went: the set whose primary its input named, as the active member sees it (the active member its primary). */
export interface RunTarget {
  set?: ResolvedReplicaSet;
}

/**
 * The lock a run holds: its operation, exclusive or not (prune and index repair); or 'none' for a
 * run that must not hold one (unlock, which removes locks).
 */
export type RunLock = { operation: string; exclusive?: boolean } | 'none';

export interface RepositoryRun extends AdmissionRequest {
  lock: RunLock;
}

/** The admission field of an operation that deletes or replaces files, unless it only says what it would do. */
export function maintenanceUnlessDryRun(operation: string, dryRun: boolean | undefined): Pick<AdmissionRequest, 'maintenance'> {
  return dryRun ? {} : { maintenance: operation };
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
export async function withRepository<T extends object>(
  deps: RepositoryDeps,
  request: RepositoryRun,
  cancellation: AbortSignal,
  use: (repo: Repository, signal: AbortSignal, lock: HeldLock | undefined, commit: CommitFence | undefined, target: RunTarget) => Promise<T>,
): Promise<T & RanOn> {
  const { lock: runLock, ...admission } = request;
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  const active = await resolveActiveRepository(deps, admission.repo);
  const ranOn: RanOn = active.repo !== admission.repo ? { activeRepository: active.repo } : {};
  const target: RunTarget = active.set ? { set: active.set } : {};
  const repo = await (deps.openRepository ?? openRepository)(await deps.authority.admit({ ...admission, repo: active.repo, workflowId }));
  try {
    return Object.assign(await run(repo), ranOn);
  } catch (err) {
    // The member resolved as active was demoted meanwhile: a switch is under way, and the monitor names the new one in a moment.
    if (err instanceof RepositoryError && err.code === 'replica-read-only' && active.set && deps.workerConfig && failoverOfSet(deps.workerConfig, active.set.name)) {
      throw new ConcurrentChangeError(`[failover] ${active.repo} was made a replica by a failover switch of set ${active.set.name}; the operation will start over on the active member`);
    }
    throw err;
  } finally {
    await repo.storage.close();
  }

  async function run(repo: Repository): Promise<T> {
    if (runLock === 'none') return await use(repo, cancellation, undefined, undefined, target);
    const lock = await acquireLock(repo, { ...runLock, workflowId, timings: deps.lockTimings, signal: cancellation });
    let committed = false;
    const commit: CommitFence = {
      beforeCommit: () => lock.confirm(),
      committed: () => {
        committed = true;
      },
    };
    try {
      const result = await use(repo, lock.signal, lock, commit, target);
      if (!committed) await lock.confirm();
      return result;
    } catch (err) {
      lock.assertHeld(); // the loss of the lock explains the error better (and is retryable)
      throw err;
    } finally {
      // A lock that cannot be deleted now (storage unreachable) goes stale: not worth failing the run for.
      await lock.release().catch((err: unknown) => Context.current().log.warn('could not remove the lock of this run; it will go stale', { lock: lock.id, error: String(err) }));
    }
  }
}
