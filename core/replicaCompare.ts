// `meridian replication verify`: a replica compared with its primary by full listings of keys,
// data, index, snapshots, journal segments and archived WAL (names and sizes) and the config bytes. Files the replica keeps past
// their deletion on the primary (tombstones, within their grace) are expected, so they are counted
// apart and are not differences. Content is checked by `meridian verify --repo <replica>`.

import { ConcurrentChangeError, RepositoryError } from './errors.js';
import { acquireLock, HeldLock, LockTimings } from './locks.js';
import { readPrunePlans } from './prunePlan.js';
import { configBytes, sameBytes } from './replicaIdentity.js';
import { listFolder } from './replicaPlan.js';
import { readReplicaState } from './replicaState.js';
import { REPLICATED_TYPES, ReplicaDiff, ReplicaFile } from './replicationTypes.js';
import { Repository } from './repository.js';

export interface CompareOptions {
  workflowId?: string;
  lockTimings?: LockTimings;
  signal?: AbortSignal;
}

/** Each list of a ReplicaDiff names at most this many files (it goes through workflow history); the counts are exact. */
export const MAX_LISTED_DIFFERENCES = 50;

/**
 * Compares under a shared lock on the primary (a prune that marks later waits for it) and an
 * exclusive one on the replica (no pass copies meanwhile), and refuses retryably while a pass runs
 * on the replica or a prune on the primary: their half-done work is no difference.
 */
export async function compareReplica(primary: Repository, replica: Repository, replicaName: string, options: CompareOptions = {}): Promise<ReplicaDiff> {
  const lockOptions = { operation: 'replicate-verify', timings: options.lockTimings, signal: options.signal, ...(options.workflowId !== undefined ? { workflowId: `${options.workflowId}:${replicaName}` } : {}) };
  const held: HeldLock[] = [await acquireLock(primary, lockOptions)];
  try {
    try {
      held.push(await acquireLock(replica, { ...lockOptions, exclusive: true }));
    } catch (err) {
      if (err instanceof RepositoryError && err.code === 'locked') throw new ConcurrentChangeError(`[replication] a replication pass is running on ${replicaName}; the comparison runs once it is done (${err.message})`);
      throw err;
    }
    const prune = (await readPrunePlans(primary)).plans.find((plan) => plan.state === 'marked' || plan.state === 'sweeping');
    if (prune) throw new ConcurrentChangeError(`[replication] prune ${prune.id.slice(0, 12)} is in progress on the primary; the comparison runs once it has finished`);
    return await compareListings(primary, replica, replicaName);
  } finally {
    await Promise.all(held.map((lock) => lock.release()));
  }
}

async function compareListings(primary: Repository, replica: Repository, replicaName: string): Promise<ReplicaDiff> {
  const [mine, theirs, state] = await Promise.all([configBytes(primary.storage), configBytes(replica.storage), readReplicaState(replica)]);
  const configMatches = mine !== undefined && theirs !== undefined && sameBytes(mine, theirs);
  const tombstoned = new Set((state?.pending ?? []).map((t) => `${t.type}/${t.name}`));
  const missing: ReplicaFile[] = [];
  const extra: ReplicaFile[] = [];
  const sizeMismatch: ReplicaDiff['sizeMismatch'] = [];
  let pendingDeletion = 0;
  for (const type of REPLICATED_TYPES) {
    const [p, r] = await Promise.all([listFolder(primary.storage, type), listFolder(replica.storage, type)]);
    for (const [name, file] of p) {
      const there = r.get(name);
      if (!there) missing.push({ type, name, size: file.size });
      else if (there.size !== file.size) sizeMismatch.push({ type, name, primary: file.size, replica: there.size });
    }
    for (const [name, file] of r) {
      if (p.has(name)) continue;
      if (tombstoned.has(`${type}/${name}`)) pendingDeletion += 1;
      else extra.push({ type, name, size: file.size });
    }
  }
  return {
    replica: replicaName,
    configMatches,
    differences: missing.length + extra.length + sizeMismatch.length + (configMatches ? 0 : 1),
    missing: missing.slice(0, MAX_LISTED_DIFFERENCES),
    extra: extra.slice(0, MAX_LISTED_DIFFERENCES),
    sizeMismatch: sizeMismatch.slice(0, MAX_LISTED_DIFFERENCES),
    pendingDeletion,
  };
}
