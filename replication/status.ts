// How far each replica of a replica set is behind its primary, read from the set's workflow
// (`replication:<set>`, query replicationStatus: what its passes measured and what backups signalled
// since) and meridian.yaml (regions, locations): no storage is touched. `meridian replication
// status`, GET /v1/replication and the metrics issue's gauges (lag, bytes and snapshots behind,
// reachable) all call getReplicationStatus. The lag is the age of the OLDEST snapshot a replica
// lacks: how long it has been behind; 0 when it lacks none, null before its first pass.

import type { MeridianConfig, ReplicationMode } from '../config/schema.js';
import { RepositoryError } from '../core/errors.js';
import { isRunning, type WorkflowCalls } from '../control/workflowCalls.js';
import { NOTHING_BEHIND } from '../core/replicationTypes.js';
import { configFromUrl, describeConfig } from '../storage/config.js';
import { replicationStatusQuery, replicationWorkflowId, type ReplicaState, type ReplicationState } from '../workflows/replicationDefs.js';

/** The parts of meridian.yaml a status needs: the sets, and each repository's URL and region. */
export type ReplicationConfig = Pick<MeridianConfig, 'repositories' | 'replication'>;

export interface ReplicaStatus extends ReplicaState {
  region?: string;
  /** Where the replica is, without credentials or query (s3://bucket/prefix). */
  location: string;
  /** Seconds since the oldest snapshot the replica lacks was committed; 0 when it lacks none; null before its first pass. */
  lagSeconds: number | null;
}

export interface ReplicationStatus {
  name: string;
  mode: ReplicationMode;
  quorum?: number;
  workflowId: string;
  /** The set's workflow runs (started by `meridian apply`, a backup of the primary or `replication run`). */
  running: boolean;
  /** Why the replicas' states are unknown although the workflow runs (no worker answered the query). */
  unanswered?: string;
  primary: { name: string; region?: string; location: string };
  replicas: ReplicaStatus[];
  passes?: number;
  lastPassAt?: string;
}

/** How long the query may wait: with no worker polling, the server would hold it ~30 s. */
const STATUS_QUERY_TIMEOUT_MS = 3000;

/** The sets' names, checked: an unknown one is a not-found error naming the known ones. */
export function replicaSetNames(config: ReplicationConfig, set?: string): string[] {
  const known = Object.keys(config.replication).sort();
  if (set === undefined) return known;
  if (!Object.hasOwn(config.replication, set)) {
    throw new RepositoryError('not-found', `no replica set named "${set}" in meridian.yaml (${known.length === 0 ? 'it defines none' : `known: ${known.join(', ')}`})`);
  }
  return [set];
}

/** The status of every set of `config`, or of `set` alone (an unknown name is a not-found error). */
export async function getReplicationStatus(calls: WorkflowCalls, config: ReplicationConfig, set?: string, now = new Date()): Promise<ReplicationStatus[]> {
  return Promise.all(replicaSetNames(config, set).map((name) => setStatus(calls, config, name, now)));
}

async function setStatus(calls: WorkflowCalls, config: ReplicationConfig, name: string, now: Date): Promise<ReplicationStatus> {
  const entry = config.replication[name]!;
  const workflowId = replicationWorkflowId(name);
  const read = await readState(calls, workflowId);
  const member = (repository: string) => {
    const { url, region } = config.repositories[repository]!;
    return { name: repository, ...(region !== undefined ? { region } : {}), location: describeConfig(configFromUrl(url)) };
  };
  const replicas = entry.replicas.map((replica): ReplicaStatus => {
    const state = read.state?.replicas.find((r) => r.name === replica) ?? { name: replica, state: 'never-run', reachable: null, behind: NOTHING_BEHIND };
    return { ...state, ...member(replica), lagSeconds: lagSeconds(state, now) };
  });
  return {
    name,
    mode: entry.mode,
    ...(entry.quorum !== undefined ? { quorum: entry.quorum } : {}),
    workflowId,
    running: read.running,
    ...(read.unanswered !== undefined ? { unanswered: read.unanswered } : {}),
    primary: member(entry.primary),
    replicas,
    ...(read.state ? { passes: read.state.passes } : {}),
    ...(read.state?.lastPassAt !== undefined ? { lastPassAt: read.state.lastPassAt } : {}),
  };
}

/** now − the commit time of the oldest snapshot the replica lacks, in whole seconds. */
export function lagSeconds(state: ReplicaState, now: Date): number | null {
  if (state.state === 'never-run') return null;
  const oldest = state.behind.oldestMissingAt;
  if (oldest === undefined) return 0;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / 1000));
}

async function readState(calls: WorkflowCalls, workflowId: string): Promise<{ running: boolean; state?: ReplicationState; unanswered?: string }> {
  if (!(await isRunning(calls, workflowId))) return { running: false };
  try {
    return { running: true, state: (await calls.query(workflowId, replicationStatusQuery.name, STATUS_QUERY_TIMEOUT_MS)) as ReplicationState };
  } catch (err) {
    return { running: true, unanswered: `no worker answered the status query of ${workflowId}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
}
