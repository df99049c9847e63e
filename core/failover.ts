// Moving a replica set's active member (README "Failover"). A replica is read-only because of its
// replica-state doc (core/replicaState.ts): promoting one removes the doc, demoting writes it.
// - promote: under an exclusive `promote` lock; a pass to it still running is waited for, its lock
//   looked at every 250 ms, so the promotion follows the pass's end (one from a region that has just
//   failed ends when its storage calls give up) instead of the activity's next retry, 1–8 s later.
// - resync: what a failed ex-active member that returned holds alone (a snapshot written before it
//   failed and never replicated) is merged into the active one, then it is demoted: a merge that
//   fails leaves it writable (never active: the pass guard refuses it as a target), nothing is lost.
// - mergeInto: after a forced failover, what another member holds and the promoted one lacks.
// - switchOver: the graceful move (both healthy): demote `from`, a last pass from→to, promote `to`;
//   a switch that fails leaves `from` writable (it is still the active member).
// Each is idempotent: a retry after any step finishes the job.

import { RepositoryError } from './errors.js';
import { acquireLock, awaitLocks, DEFAULT_LOCK_TIMINGS, deleteLockFile, HeldLock, listLocks, LockTimings, looksOld, watchForChange } from './locks.js';
import { readReplicaState, replicaStateName, writeReplicaState, newReplicaState } from './replicaState.js';
import { PassOptions, replicatePass } from './replication.js';
import type { PassResult } from './replicationTypes.js';
import type { Repository } from './repository.js';

export interface SwitchOptions {
  workflowId?: string;
  lockTimings?: LockTimings;
  signal?: AbortSignal;
  /** The set's replication settings for the passes. */
  graceHours: number;
  concurrency?: number;
  onProgress?: (p: { phase: string; files: number; bytes: number }) => void;
}

/** Operations that write a repository: a resync waits for those still running on the demoted one. */
const WRITERS = new Set(['backup', 'forget', 'prune', 'repair-index', 'repair-snapshots']);

async function withExclusive<T>(repo: Repository, operation: string, options: Pick<SwitchOptions, 'workflowId' | 'lockTimings' | 'signal'>, use: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(repo, { operation, exclusive: true, workflowId: options.workflowId, timings: options.lockTimings, signal: options.signal });
  try {
    return await use(lock);
  } finally {
    await lock.release();
  }
}

export interface PromoteOptions extends Pick<SwitchOptions, 'workflowId' | 'lockTimings' | 'signal'> {
  /** How long to wait for another exclusive lock on `member` before failing 'locked' (default 60 s). */
  waitMs?: number;
}

/** A waiting promotion fails 'locked' after this (the activity's retry policy takes over). */
const PROMOTE_WAIT_MS = 60_000;
/** How often a waiting promotion looks at the holder's lock: it promotes within this of its release. */
const PROMOTE_POLL_MS = 250;

/** Makes `member` writable (no replica-state doc); false when it already was. */
export async function promote(member: Repository, options: PromoteOptions = {}): Promise<boolean> {
  const deadline = performance.now() + (options.waitMs ?? PROMOTE_WAIT_MS);
  for (;;) {
    try {
      return await withExclusive(member, 'promote', options, async (lock) => {
        if (!(await readReplicaState(member))) return false;
        lock.assertHeld();
        await removeReplicaState(member);
        return true;
      });
    } catch (err) {
      const left = deadline - performance.now();
      if (!(err instanceof RepositoryError && err.code === 'locked') || left <= 0) throw err;
      await awaitExclusiveHolders(member, left, options);
    }
  }
}

/** Until the exclusive locks on `member` are gone or stale, or `withinMs` has passed. */
async function awaitExclusiveHolders(member: Repository, withinMs: number, options: PromoteOptions): Promise<void> {
  const holders = (await listLocks(member)).locks.filter((l) => l.exclusive).map((l) => l.id);
  if (holders.length === 0) return;
  const bound = AbortSignal.timeout(Math.ceil(withinMs));
  const signal = options.signal ? AbortSignal.any([options.signal, bound]) : bound;
  const staleMs = (options.lockTimings ?? DEFAULT_LOCK_TIMINGS).staleMs;
  try {
    await awaitLocks(member, holders, { staleMs, pollMs: PROMOTE_POLL_MS, signal });
  } catch (err) {
    if (!bound.aborted || options.signal?.aborted) throw err;
  }
}

const removeReplicaState = (member: Repository) => deleteLockFile(member, replicaStateName(member.config.id));

/** Writes `member`'s replica-state doc (a replica of `active`) unless it has one; true when written. */
async function demote(member: Repository, active: Repository, lock: HeldLock): Promise<boolean> {
  if (await readReplicaState(member)) return false;
  lock.assertHeld();
  await writeReplicaState(member, newReplicaState(active, new Date()));
  return true;
}

/** A pass to `target`, stopped by `signal` (the held lock of its source, or the caller's). */
function passOptions(target: Repository, signal: AbortSignal | undefined, options: SwitchOptions): PassOptions {
  return {
    replicaName: target.storage.location,
    graceHours: options.graceHours,
    ...(signal ? { signal } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.workflowId !== undefined ? { workflowId: options.workflowId } : {}),
    ...(options.lockTimings ? { lockTimings: options.lockTimings } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
}

/** A merge pass source→target: every file `target` lacks copied, nothing deleted; 'locked' when it could not run or finish. */
async function mergePass(source: Repository, target: Repository, pass: PassOptions): Promise<PassResult> {
  const result = await replicatePass(source, target, { ...pass, merge: true, full: true });
  if (result.deferred !== undefined) throw new RepositoryError('locked', `[failover] the merge into ${target.storage.location} waits: ${result.deferred}`);
  if (result.partial) throw new RepositoryError('locked', `[failover] the merge into ${target.storage.location} stopped partway: it goes on at the next attempt`);
  return result;
}

/**
 * After a forced failover to `target`: what `source` (another member, not the failed one) holds
 * and `target` lacks (a snapshot the failed primary replicated there but not to `target`) is
 * merged into it, so no later pass target→source tombstones it.
 */
export async function mergeInto(source: Repository, target: Repository, options: SwitchOptions): Promise<PassResult> {
  return mergePass(source, target, passOptions(target, options.signal, options));
}

/**
 * Waits until the writers that held `member` before it was demoted are gone or stale. A lock that
 * looks old (its region was down: its holder died or could not refresh) and does not change while
 * watched for two refresh intervals is dead; the others are waited for like a prune waits.
 */
async function awaitWriters(member: Repository, own: HeldLock, options: Pick<SwitchOptions, 'lockTimings'>): Promise<void> {
  const timings = options.lockTimings ?? DEFAULT_LOCK_TIMINGS;
  const { locks } = await listLocks(member);
  const writers = locks.filter((l) => l.id !== own.id && WRITERS.has(l.operation));
  const old = writers.filter((l) => looksOld(l, timings));
  const alive = old.length > 0 ? await watchForChange(member, old, timings, own.signal) : new Set<string>();
  const waited = writers.filter((l) => !old.includes(l) || alive.has(l.id)).map((l) => l.id);
  if (waited.length > 0) await awaitLocks(member, waited, { staleMs: timings.staleMs, signal: own.signal });
}

/**
 * `old` (a member that was active and failed) becomes a replica of `active`: under an exclusive
 * lock (after its running writers end), a merge pass old→active copies every file the active one
 * lacks (no deletions), and only then is `old` demoted, so a merge that fails never lets a pass to
 * `old` tombstone what only it holds. A snapshot forgotten on the active one meanwhile comes back.
 */
export async function resync(old: Repository, active: Repository, options: SwitchOptions): Promise<{ demoted: boolean; pass: PassResult }> {
  return withExclusive(old, 'resync', options, async (lock) => {
    await awaitWriters(old, lock, options);
    const pass = await mergePass(old, active, passOptions(active, lock.signal, options));
    return { demoted: await demote(old, active, lock), pass };
  });
}

/**
 * The graceful move from `from` to `to`: `from` demoted under an exclusive lock, a last pass
 * from→to under that lock, `to` promoted. Done already (to writable, from a replica): a no-op.
 */
export async function switchOver(from: Repository, to: Repository, options: SwitchOptions): Promise<{ switched: boolean; pass?: PassResult }> {
  if ((await readReplicaState(from)) && !(await readReplicaState(to))) return { switched: false };
  const pass = await withExclusive(from, 'switch', options, async (lock) => {
    await demote(from, to, lock);
    try {
      await awaitWriters(from, lock, options);
      const result = await replicatePass(from, to, { ...passOptions(to, lock.signal, options), sourceDemoted: true });
      if (result.deferred !== undefined) throw new RepositoryError('locked', `[failover] the last pass before the switch waits: ${result.deferred}`);
      if (result.partial) throw new RepositoryError('locked', `[failover] the last pass before the switch stopped partway: it goes on at the next attempt`);
      await promote(to, options);
      return result;
    } catch (err) {
      // `from` stays the active member (the monitor keeps it): writable again until a retry switches.
      await removeReplicaState(from);
      throw err;
    }
  });
  return { switched: true, pass };
}
