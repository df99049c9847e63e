// `meridian init --replica-of`: makes a location a replica of an opened primary. It copies the
// key files, writes the replica-state document, and copies the config file last, so that a crash
// before the end leaves no repository there and running it again redoes it. A location already
// holding the primary's repository is accepted as it is; one holding another is refused.

import { RepositoryError } from './errors.js';
import { configBytes, sameBytes } from './replicaIdentity.js';
import { newReplicaState, writeReplicaState } from './replicaState.js';
import { Repository } from './repository.js';
import { Storage } from '../storage/storage.js';

export async function initReplica(primary: Repository, target: Storage, now: Date = new Date()): Promise<{ repositoryId: string; created: boolean }> {
  const config = await configBytes(primary.storage);
  if (!config) throw new RepositoryError('not-a-repository', `[replication] the primary ${primary.storage.location} has no config file`);
  await target.createLocation?.();
  const existing = await configBytes(target);
  if (existing) {
    if (sameBytes(existing, config)) return { repositoryId: primary.config.id, created: false };
    throw new RepositoryError('not-a-replica', `[replication] ${target.location} already holds another repository, not ${primary.config.id} (the primary ${primary.storage.location}); refusing`);
  }
  for await (const key of primary.storage.list('keys')) {
    await target.put({ type: 'keys', name: key.name }, await primary.storage.get({ type: 'keys', name: key.name }));
  }
  await writeReplicaState(primary, newReplicaState(primary, now), target);
  await target.put({ type: 'config', name: 'config' }, config);
  return { repositoryId: primary.config.id, created: true };
}
