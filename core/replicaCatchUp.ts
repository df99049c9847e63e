// The sync barrier's catch-up (core/replicaBarrier.ts): a replication pass restricted to keys, packs
// and index files, under the backup's own lock on the primary, that counts only when complete.

import type { ReplicaBarrierOptions } from './replicaBarrier.js';
import { replicatePass } from './replication.js';
import type { Repository } from './repository.js';

/**
 * The barrier's catch-up: a replication pass restricted to keys, packs and index files, under the
 * backup's own lock (no lock of its own, no deletions); it resolves only when the replica holds
 * everything the primary's index names.
 */
export function dataCatchUp(primary: Repository, options: { graceHours: number; concurrency?: number }): ReplicaBarrierOptions['catchUp'] {
  return async (replica, name, signal) => {
    const result = await replicatePass(primary, replica, { replicaName: name, graceHours: options.graceHours, concurrency: options.concurrency, kinds: ['keys', 'data', 'index'], lock: 'held', signal });
    if (result.deferred !== undefined) throw new Error(result.deferred);
    if (result.partial || result.behind.files > 0) throw new Error(`${result.behind.files} file(s) still missing after the copy`);
    return result;
  };
}
