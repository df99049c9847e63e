// The replication activities: a replica set resolved in the worker's meridian.yaml (names, the
// retry floor), one pass from the primary to one replica (core/replication.ts, which takes the
// `replicate` locks itself: shared on the primary, exclusive on the replica), and one replica
// compared with the primary (core/replicaCompare.ts). Both repositories are admitted by name
// through the worker's authority and opened with the passphrase it holds for each. After a
// failover the set's active member (worker/activeRegion.ts) is its primary here, every other
// member a replica.

import { Context } from '@temporalio/activity';
import { RepositoryError } from '../core/errors.js';
import { replicatePass } from '../core/replication.js';
import { compareReplica } from '../core/replicaCompare.js';
import type { PassResult, ReplicaDiff } from '../core/replicationTypes.js';
import type { Repository } from '../core/repository.js';
import { activeView } from '../worker/activeRegion.js';
import { ResolvedReplicaSet, resolveReplicaSet } from '../worker/replicationSets.js';
import { openRepository } from '../worker/repositories.js';
import { repositoryLabel } from '../workflows/catalog.js';
import type { ReplicaSetDescription, ReplicateInput } from '../workflows/replicationDefs.js';
import { withFailureMapping } from './failures.js';
import { runWithHeartbeats } from './heartbeats.js';
import type { ActivityDeps } from './index.js';

/** The default first wait before a failing replica is tried again (MERIDIAN_REPLICATION_RETRY_SECONDS). */
const DEFAULT_RETRY_FLOOR_MS = 60_000;
/** A pass stops at a file boundary after this long (and reports partial), so a long seed never holds off a prune for hours. */
const PASS_BUDGET_MS = 30 * 60_000;

export function createReplicationActivities(deps: ActivityDeps) {
  const replicaSet = async (set: string): Promise<ResolvedReplicaSet> => {
    if (!deps.workerConfig) throw new RepositoryError('refused', `[authority] refused replica set "${set}": this worker serves no meridian.yaml with replica sets`);
    return activeView(deps, resolveReplicaSet(deps.workerConfig, set));
  };

  return {
    /** The set's members by name, as this worker's meridian.yaml defines them now, and the retry floor. */
    async describeReplicaSet(input: { set: string }): Promise<ReplicaSetDescription> {
      return withFailureMapping(async () => {
        const resolved = await replicaSet(input.set);
        return {
          set: resolved.name,
          primary: resolved.primary.name,
          replicas: resolved.replicas.map((replica) => replica.name),
          retryFloorMs: deps.workerConfig?.replication?.retryFloorMs ?? DEFAULT_RETRY_FLOOR_MS,
        };
      });
    },

    /** One pass from the set's primary to one replica; heartbeats its phase and counters. */
    async replicateToReplica(input: ReplicateInput): Promise<PassResult> {
      return runWithHeartbeats(async (report, cancellation) => {
        const resolved = await replicaSet(input.set);
        return withPrimaryAndReplica(deps, resolved, { name: input.replica, maintenance: 'replication' }, (primary, replica, workflowId) =>
          replicatePass(primary, replica, {
            replicaName: input.replica,
            graceHours: resolved.entry.deleteGraceHours,
            ...(input.full ? { full: true } : {}),
            ...(resolved.entry.concurrency !== undefined ? { concurrency: resolved.entry.concurrency } : {}),
            signal: cancellation,
            maxDurationMs: PASS_BUDGET_MS,
            onProgress: report,
            lock: 'take',
            ...(workflowId !== undefined ? { workflowId } : {}),
            ...(deps.lockTimings ? { lockTimings: deps.lockTimings } : {}),
          }),
        );
      });
    },

    /** One replica compared with the set's primary by full listings (names and sizes) and config bytes; refused retryably while a pass or a prune runs. */
    async compareReplica(input: { set: string; replica: string }): Promise<ReplicaDiff> {
      return runWithHeartbeats(async (_report, cancellation) => {
        const resolved = await replicaSet(input.set);
        return withPrimaryAndReplica(deps, resolved, { name: input.replica }, (primary, replica, workflowId) =>
          compareReplica(primary, replica, input.replica, {
            signal: cancellation,
            ...(workflowId !== undefined ? { workflowId } : {}),
            ...(deps.lockTimings ? { lockTimings: deps.lockTimings } : {}),
          }),
        );
      });
    },
  };
}

/**
 * Runs `use` on the set's primary and the named replica, each admitted by the worker's authority
 * and opened; both storages closed after. A replica that holds no repository, or one the primary's
 * passphrase does not open, is not a replica of it (not-a-replica: replication never initializes one).
 * A pass names itself as maintenance on the replica (it deletes what the primary pruned): refused
 * where the worker may only append to it; a comparison does not.
 */
async function withPrimaryAndReplica<T>(
  deps: ActivityDeps,
  set: ResolvedReplicaSet,
  { name: replicaName, maintenance }: { name: string; maintenance?: string },
  use: (primary: Repository, replica: Repository, workflowId: string | undefined) => Promise<T>,
): Promise<T> {
  if (!set.replicas.some((replica) => replica.name === replicaName)) {
    throw new RepositoryError('not-found', `"${replicaName}" is not a replica of set ${set.name} (its replicas: ${set.replicas.map((replica) => replica.name).join(', ')})`);
  }
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  const open = deps.openRepository ?? openRepository;
  const primary = await open(await deps.authority.admit({ repo: set.primary.name, workflowId }));
  try {
    const admitted = await deps.authority.admit({ repo: replicaName, workflowId, ...(maintenance !== undefined ? { maintenance } : {}) });
    let replica: Repository;
    try {
      replica = await open(admitted);
    } catch (err) {
      if (!(err instanceof RepositoryError)) throw err;
      const where = `replica ${replicaName} (${repositoryLabel(admitted.url)})`;
      if (err.code === 'not-a-repository') throw new RepositoryError('not-a-replica', `${where} holds no repository: run meridian init --replica-of ${set.primary.name} --repo <its url>`);
      if (err.code === 'wrong-passphrase') throw new RepositoryError('not-a-replica', `${where} does not open with the passphrase of ${set.primary.name}: it holds another repository, or its passphrase setting differs`);
      throw err;
    }
    try {
      return await use(primary, replica, workflowId);
    } finally {
      await replica.storage.close();
    }
  } finally {
    await primary.storage.close();
  }
}
