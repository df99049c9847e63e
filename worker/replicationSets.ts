// The replica sets a worker serves, from its meridian.yaml: a set by name (the replication
// workflow's activities), and the set whose primary a backup writes to (sync and quorum backups
// wait for replicas; every backup of a primary asks the set's workflow for a pass). Repository
// names only; the authority admits each one and holds its passphrase.

import { RepositoryError } from '../core/errors.js';
import type { ReplicationEntry } from '../config/schema.js';
import { findRepository, WorkerConfig } from './workerConfig.js';

/** A repository of a set: its name in meridian.yaml and its region label. */
export interface ReplicaSetMember {
  name: string;
  region?: string;
}

export interface ResolvedReplicaSet {
  name: string;
  entry: ReplicationEntry;
  primary: ReplicaSetMember;
  replicas: ReplicaSetMember[];
}

function resolved(config: WorkerConfig, name: string, entry: ReplicationEntry): ResolvedReplicaSet {
  const regions = config.replication?.regions ?? {};
  const member = (repository: string): ReplicaSetMember => ({ name: repository, ...(regions[repository] !== undefined ? { region: regions[repository] } : {}) });
  return { name, entry, primary: member(entry.primary), replicas: entry.replicas.map(member) };
}

/** The set named `set` in the worker's meridian.yaml; a not-found error naming the known sets otherwise. */
export function resolveReplicaSet(config: WorkerConfig, set: string): ResolvedReplicaSet {
  const sets = config.replication?.sets ?? {};
  const entry = Object.hasOwn(sets, set) ? sets[set] : undefined;
  if (!entry) {
    const known = Object.keys(sets);
    throw new RepositoryError('not-found', `no replica set named "${set}" in this worker's meridian.yaml (${known.length === 0 ? 'it defines none' : `known: ${known.join(', ')}`})`);
  }
  return resolved(config, set, entry);
}

/**
 * The set whose primary `repo` (a name or a URL, as a backup input gives it) designates, if any.
 * A URL matches when it is the full location of the primary's configured entry.
 */
export function replicaSetOfPrimary(config: WorkerConfig, repo: string): ResolvedReplicaSet | undefined {
  const repository = findRepository(config.repositories, repo);
  if (repository?.name === undefined) return undefined;
  for (const [name, entry] of Object.entries(config.replication?.sets ?? {})) {
    if (entry.primary === repository.name) return resolved(config, name, entry);
  }
  return undefined;
}
