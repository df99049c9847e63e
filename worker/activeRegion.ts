// Which member of a replica set is active (DESIGN "Active region"): the member in the region its
// failover monitor (`failover:<name>`) says is active; members of regions awaiting a resync are no
// replicas meanwhile. A set without a failover entry, a monitor not applied yet, or a worker
// without cluster access (a CLI command's own): the configured primary. A monitor that exists but
// does not answer, or is switching, is a retryable error: never guess a region.

import { RepositoryError } from '../core/errors.js';
import type { FailoverEntry } from '../config/schema.js';
import type { ClusterAccess, FailoverView } from './cluster.js';
import { ReplicaSetMember, replicaSetOfPrimary, ResolvedReplicaSet } from './replicationSets.js';
import type { WorkerConfig } from './workerConfig.js';

export interface ActiveRegionDeps {
  workerConfig?: WorkerConfig;
  cluster?: ClusterAccess;
}

/** The failover entry (and its name) that watches `set`, if any. */
export function failoverOfSet(config: WorkerConfig, set: string): { name: string; entry: FailoverEntry } | undefined {
  for (const [name, entry] of Object.entries(config.replication?.failover ?? {})) {
    if (entry.replication === set) return { name, entry };
  }
  return undefined;
}

/** Every member of the set, primary first. */
export function membersOf(set: ResolvedReplicaSet): ReplicaSetMember[] {
  return [set.primary, ...set.replicas];
}

/** The set's member in `region`; an invalid-argument error when it has none. */
export function memberInRegion(set: ResolvedReplicaSet, region: string): ReplicaSetMember {
  const member = membersOf(set).find((m) => m.region === region);
  if (!member) throw new RepositoryError('invalid-argument', `replica set "${set.name}" has no member in region "${region}" (set each repository's region in meridian.yaml)`);
  return member;
}

/** What failover entry `name`'s monitor says, or undefined (the primary region active, nothing to re-sync) without a monitor or cluster access. */
export async function failoverViewOf(deps: ActiveRegionDeps, name: string): Promise<FailoverView | undefined> {
  if (!deps.cluster) return undefined;
  let view: FailoverView | undefined;
  try {
    view = await deps.cluster.failoverView(name);
  } catch (err) {
    // Not a RepositoryError: the activities' failure mapping makes it retryable.
    throw new Error(`the failover monitor failover:${name} does not answer, so the active region is unknown: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Retryable too: the monitor names the active region once the switch is done.
  if (view?.switching) throw new Error(`the failover monitor failover:${name} has a switch from ${view.switching.from} to ${view.switching.to} in progress: the active region is known when it is done`);
  return view;
}

/**
 * The set as the active member sees it: the active member primary, every other member a replica,
 * except the members of regions awaiting a resync (a failed ex-active one may hold snapshots the
 * active one lacks: no pass, barrier or compare targets it until the monitor re-synced it).
 */
export async function activeView(deps: ActiveRegionDeps, set: ResolvedReplicaSet): Promise<ResolvedReplicaSet> {
  const failover = deps.workerConfig ? failoverOfSet(deps.workerConfig, set.name) : undefined;
  const view = failover ? await failoverViewOf(deps, failover.name) : undefined;
  if (!view) return set;
  const active = view.activeRegion === set.primary.region ? set.primary : memberInRegion(set, view.activeRegion);
  const replicas = membersOf(set).filter((m) => m.name !== active.name && !(m.region !== undefined && view.needsResync.includes(m.region)));
  return { ...set, primary: active, replicas };
}

/**
 * The repository an operation naming `repo` runs on: the active member when `repo` names a
 * failover-watched set's configured primary (by name or URL), else `repo` itself.
 */
export async function resolveActiveRepository(deps: ActiveRegionDeps, repo: string): Promise<{ repo: string; set?: ResolvedReplicaSet }> {
  const set = deps.workerConfig ? replicaSetOfPrimary(deps.workerConfig, repo) : undefined;
  if (!set) return { repo };
  const view = await activeView(deps, set);
  return { repo: view.primary.name === set.primary.name ? repo : view.primary.name, set: view };
}
