// The deletions of a pass: keys revoked on the primary go from the replica at once (never the
// last one); every other file the primary no longer has becomes a tombstone and is deleted only
// once its grace has passed, in the order snapshots and journal segments → index → packs (nothing
// left names what is deleted; archived WAL names nothing), never in the pass that first saw it
// gone, and never while another live lock is on the replica (a restore from it: the recovery case).

import { DEFAULT_LOCK_TIMINGS, HeldLock, listLocks, LockTimings, looksOld } from './locks.js';
import { CopyPlan } from './replicaPlan.js';
import { graceEndsAt, updateTombstones } from './replicaState.js';
import { PassResult, ReplicaStateDoc, ReplicatedType, Tombstone } from './replicationTypes.js';
import { Repository } from './repository.js';
import { Handle, isNotFound, Storage } from '../storage/storage.js';

export interface DeletionOptions {
  graceHours: number;
  now: Date;
  /** False when the pass was partial or met damage: tombstones are kept up to date, nothing is deleted. */
  deleteDue: boolean;
  /** Every key of the primary is on the replica now: the revoked ones can go without leaving it unopenable. */
  keysCopied: boolean;
  /** The pass's own lock on the replica (not a reason to hold deletions back). */
  ownLock: HeldLock | undefined;
  lockTimings?: LockTimings;
  signal: AbortSignal;
  onDeleted?: (files: number, bytes: number) => void;
}

export interface Deletions {
  deleted: PassResult['deleted'];
  pending: PassResult['pending'];
  tombstones: Tombstone[];
}

const DELETE_ORDER: readonly ReplicatedType[] = ['snapshots', 'journal', 'wal', 'index', 'data'];
/** Listed on both sides every pass that deletes; data/ only in a full one. */
const ALWAYS_LISTED: readonly ReplicatedType[] = ['snapshots', 'journal', 'wal', 'index'];

export async function applyDeletions(primary: Repository, replica: Repository, plan: CopyPlan, state: ReplicaStateDoc, options: DeletionOptions): Promise<Deletions> {
  const deleted = { files: 0, bytes: 0 };
  const remove = async (h: Handle, size: number) => {
    options.signal.throwIfAborted();
    options.ownLock?.assertHeld();
    await deleteIfThere(replica.storage, h);
    deleted.files += 1;
    deleted.bytes += size;
    options.onDeleted?.(deleted.files, deleted.bytes);
  };
  if (options.keysCopied) for (const name of plan.extraKeys) await remove({ type: 'keys', name }, plan.replica.keys.get(name)?.size ?? 0);

  const listed = new Set<ReplicatedType>(plan.full ? [...ALWAYS_LISTED, 'data'] : ALWAYS_LISTED);
  let tombstones = updateTombstones(state.pending, plan.extra, listed, options.now);
  const seenBefore = new Set(state.pending.map((t) => `${t.type}/${t.name}`));
  const due = (t: Tombstone) => seenBefore.has(`${t.type}/${t.name}`) && graceEndsAt(t, options.graceHours) <= options.now.getTime();

  if (options.deleteDue && tombstones.some(due) && !(await otherLiveLock(replica, options))) {
    for (const type of DELETE_ORDER) {
      for (const tombstone of tombstones.filter((t) => t.type === type && due(t))) {
        // A pack tombstone of an earlier full pass: the primary may have it again (a repair put it back).
        const back = !listed.has(type) && (await exists(primary.storage, { type, name: tombstone.name }));
        if (!back) await remove({ type, name: tombstone.name }, tombstone.size);
        tombstones = tombstones.filter((t) => t !== tombstone);
      }
    }
  }
  const ends = tombstones.map((t) => graceEndsAt(t, options.graceHours));
  return {
    deleted,
    pending: {
      files: tombstones.length,
      bytes: tombstones.reduce((sum, t) => sum + t.size, 0),
      ...(ends.length > 0 ? { nextDueAt: new Date(Math.min(...ends)).toISOString() } : {}),
    },
    tombstones,
  };
}

/** Another operation's lock on the replica that is not stale-looking: its deletions wait. */
async function otherLiveLock(replica: Repository, options: DeletionOptions): Promise<boolean> {
  const timings = options.lockTimings ?? DEFAULT_LOCK_TIMINGS;
  const { locks } = await listLocks(replica);
  return locks.some((lock) => lock.id !== options.ownLock?.id && !looksOld(lock, timings));
}

async function exists(storage: Storage, h: Handle): Promise<boolean> {
  try {
    await storage.stat(h);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function deleteIfThere(storage: Storage, h: Handle): Promise<void> {
  try {
    await storage.delete(h);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
