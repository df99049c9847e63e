// What a backup of a replica set's primary does about replication (README "Replication"): in async
// mode nothing but report every replica as lagging (the set's workflow copies after the backup);
// in sync and quorum mode the archiver gets a barrier over the set's replicas, each admitted by
// the worker's authority and opened with the passphrase it holds, and the outcome says which
// replicas hold the snapshot. A backup of any other repository gets nothing.

import { RepositoryError } from '../core/errors.js';
import { ReplicaBarrier } from '../core/replicaBarrier.js';
import { dataCatchUp } from '../core/replicaCatchUp.js';
import type { Repository } from '../core/repository.js';
import type { ResolvedReplicaSet } from '../worker/replicationSets.js';
import { openRepository } from '../worker/repositories.js';
import type { BackupReplication } from '../workflows/replicationDefs.js';
import type { RepositoryDeps } from './repositoryRun.js';

/** syncTimeout's default: how long a sync or quorum backup waits for its replicas. */
export const DEFAULT_SYNC_TIMEOUT_MS = 10 * 60_000;

export interface BackupReplicationRun {
  /** The barrier for the archiver (sync and quorum). */
  barrier?: ReplicaBarrier;
  /** The result's `replication`, once the backup committed. */
  outcome(): BackupReplication;
  /** Closes the replicas' storages. */
  close(): Promise<void>;
}

/**
 * The replication of a backup on `primary`, the active member of `set` (activities/repositoryRun.ts
 * resolved both: after a failover the active member is the set's primary here, every other member a
 * replica), or undefined when the backup's repository is no set's primary.
 */
export function backupReplication(deps: RepositoryDeps, set: ResolvedReplicaSet | undefined, primary: Repository, workflowId: string | undefined): BackupReplicationRun | undefined {
  if (!set) return undefined;
  const { mode } = set.entry;
  const names = set.replicas.map((r) => r.name);
  if (mode === 'async') {
    return { outcome: () => ({ set: set.name, mode, heldBy: [], lagging: names, waitedMs: 0 }), close: async () => undefined };
  }
  const barrier = new ReplicaBarrier({
    set: set.name,
    mode,
    quorum: set.entry.quorum,
    timeoutMs: set.entry.syncTimeout ?? DEFAULT_SYNC_TIMEOUT_MS,
    replicas: replicaOpeners(deps, set, workflowId),
    catchUp: dataCatchUp(primary, { graceHours: set.entry.deleteGraceHours, concurrency: set.entry.concurrency }),
  });
  return {
    barrier,
    outcome: () => ({ set: set.name, mode, ...barrier.outcome() }),
    close: () => barrier.close(),
  };
}

/**
 * Each replica admitted by its name and opened when the barrier first needs it (one down at the
 * start is waited for); a location holding no repository yet says how to make it a replica.
 */
function replicaOpeners(deps: RepositoryDeps, set: ResolvedReplicaSet, workflowId: string | undefined) {
  return set.replicas.map((member) => ({
    ...member,
    open: async () => {
      const admitted = await deps.authority.admit({ repo: member.name, workflowId });
      try {
        return await (deps.openRepository ?? openRepository)(admitted);
      } catch (err) {
        if (!(err instanceof RepositoryError) || err.code !== 'not-a-repository') throw err;
        throw new RepositoryError('not-a-replica', `${err.message}: make ${member.name} a replica first (meridian init --replica-of ${set.primary.name} --repo <its URL>)`);
      }
    },
  }));
}
