// `meridian unlock`: removes the locks whose holders stopped refreshing them (killed processes,
// lost machines), or with force every lock. Never prune plans: they are not locks. Without force
// a lock is removed only when it is observed unchanged for 2 × the refresh interval: a live holder,
// whatever its clock says, rewrites it within that time (restic's unlock once removed live locks
// by trusting their timestamps). With force, a lock that a live holder's refresh wrote back just
// after its removal (the refresh had checked it just before) is removed again.

import { setTimeout as sleep } from 'node:timers/promises';
import { deleteLockFile, DEFAULT_LOCK_TIMINGS, listLocks, LockRecord, LockTimings, looksOld, watchForChange } from './locks.js';
import { Repository } from './repository.js';

export interface UnlockOptions {
  /** Remove every lock (and unreadable file of locks/), live or not. */
  force?: boolean;
  timings?: LockTimings;
  signal?: AbortSignal;
}

/** A lock as unlock reports it: who held it, and its age by our clock (negative when the holder's clock is ahead). */
export interface UnlockedLock {
  id: string;
  operation: string;
  host: string;
  pid: number | null;
  exclusive: boolean;
  workflowId?: string;
  refreshedAt: string | null;
  ageSeconds: number | null;
  /** Why it was kept or removed. */
  reason: string;
}

export interface UnlockResult {
  force: boolean;
  /** The first MAX_LISTED_LOCKS of each, with their counts. */
  removed: UnlockedLock[];
  kept: UnlockedLock[];
  removedCount: number;
  keptCount: number;
}

/** At most this many locks are listed in each of removed and kept (counted all the same): results go through workflow history. */
export const MAX_LISTED_LOCKS = 100;

export async function unlock(repo: Repository, options: UnlockOptions = {}): Promise<UnlockResult> {
  const timings = options.timings ?? DEFAULT_LOCK_TIMINGS;
  const { locks, unreadable } = await listLocks(repo);
  const removed: UnlockedLock[] = [];
  const kept: UnlockedLock[] = [];
  const unreadableEntries = unreadable.map((u) => ({ id: u.name, operation: 'unknown', host: 'unknown', pid: null, exclusive: false, refreshedAt: null, ageSeconds: null, reason: `unreadable: ${u.reason}` }));
  if (options.force) {
    for (const lock of locks) {
      await deleteLockFile(repo, lock.id);
      removed.push(describe(lock, 'forced'));
    }
    await removeWrittenBack(repo, locks.map((l) => l.id), options.signal);
    for (const entry of unreadableEntries) {
      await deleteLockFile(repo, entry.id);
      removed.push(entry);
    }
  } else {
    const candidates = locks.filter((l) => looksOld(l, timings));
    for (const lock of locks) if (!candidates.includes(lock)) kept.push(describe(lock, `refreshed within ${timings.staleMs / 1000} s`));
    const changed = candidates.length > 0 ? await watchForChange(repo, candidates, timings, options.signal) : new Set<string>();
    for (const lock of candidates) {
      if (changed.has(lock.id)) {
        kept.push(describe(lock, 'refreshed (or released) while watched: its holder is alive'));
        continue;
      }
      await deleteLockFile(repo, lock.id);
      removed.push(describe(lock, `not refreshed for ${(2 * Math.max(timings.refreshMs, lock.refreshMs)) / 1000} s of watching`));
    }
    kept.push(...unreadableEntries.map((e) => ({ ...e, reason: `${e.reason} (removed only with --force)` })));
  }
  return {
    force: options.force === true,
    removed: removed.slice(0, MAX_LISTED_LOCKS),
    kept: kept.slice(0, MAX_LISTED_LOCKS),
    removedCount: removed.length,
    keptCount: kept.length,
  };
}

/** Looks after a forced removal for locks written back (each look ~0.5–1.5 s after the last; jittered, so as not to keep meeting a holder's refresh). */
const WRITTEN_BACK_LOOKS = 3;

/**
 * A holder's refresh checks that its lock is there, then rewrites it: one whose check came just
 * before the forced removal writes the lock back a put's time after it, and its next refresh finds
 * it present. Looks again and removes what came back (until a look finds nothing back), so that
 * the holder's next refresh finds its lock gone and gives its run up.
 */
async function removeWrittenBack(repo: Repository, ids: string[], signal: AbortSignal | undefined): Promise<void> {
  let watched = ids;
  for (let look = 0; look < WRITTEN_BACK_LOOKS && watched.length > 0; look++) {
    await sleep(500 + Math.random() * 1000, undefined, { signal });
    const present = new Set<string>(); // a lock's file is named by its id: the names alone tell what came back
    for await (const entry of repo.storage.list('locks')) present.add(entry.name);
    watched = watched.filter((id) => present.has(id));
    for (const id of watched) await deleteLockFile(repo, id);
  }
}

function describe(lock: LockRecord, reason: string): UnlockedLock {
  const refreshed = Date.parse(lock.refreshedAt);
  return {
    id: lock.id,
    operation: lock.operation,
    host: lock.host,
    pid: lock.pid,
    exclusive: lock.exclusive,
    ...(lock.workflowId !== undefined ? { workflowId: lock.workflowId } : {}),
    refreshedAt: lock.refreshedAt,
    ageSeconds: Number.isFinite(refreshed) ? Math.round((Date.now() - refreshed) / 1000) : null,
    reason,
  };
}
