// Whether a location holds the same repository as a primary: its `config` file byte-identical to
// the primary's (same id, same chunker seed and parameters). Every pass, sync barrier and
// comparison checks it first; replication never creates a repository at the target by itself.

import { RepositoryError } from './errors.js';
import { Repository } from './repository.js';
import { isNotFound, Storage } from '../storage/storage.js';

/** The primary's stored config file, as replicas must hold it. */
export async function configBytes(storage: Storage): Promise<Uint8Array | undefined> {
  try {
    return await storage.get({ type: 'config', name: 'config' });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Throws 'not-a-replica' unless `target` holds the primary's repository: no config there (run
 * `meridian init --replica-of` first), or another one (named by `targetId` when the caller opened it).
 */
export async function assertReplicaOf(primary: Repository, target: Storage, targetId?: string): Promise<void> {
  const [mine, theirs] = await Promise.all([configBytes(primary.storage), configBytes(target)]);
  if (!mine) throw new RepositoryError('not-a-repository', `[replication] the primary ${primary.storage.location} has no config file`);
  if (!theirs) {
    throw new RepositoryError(
      'not-a-replica',
      `[replication] ${target.location} holds no repository (not initialized): run meridian init --replica-of ${primary.storage.location} --repo ${target.location}`,
    );
  }
  if (sameBytes(mine, theirs)) return;
  const other = targetId !== undefined && targetId !== primary.config.id ? `repository ${targetId}` : 'another repository (its config differs; a key rotation of the primary changes it too: then make a fresh replica)';
  throw new RepositoryError('not-a-replica', `[replication] ${target.location} holds ${other}, not ${primary.config.id} (the primary ${primary.storage.location}); refusing to replicate to it`);
}
