// What a backup run on the embedded dev server (no Temporal address) does for a replica set's
// primary: its in-process worker serves the one command, not the set, so it neither waits for
// replicas nor asks the set's workflow for a pass. A sync or quorum primary is refused (its
// guarantee is that no backup commits before the replicas hold it); an async one is backed up
// with a notice that the replicas get it from the set's next pass by a `meridian worker`.

import { loadConfig } from '../config/load.js';
import { RepositoryError } from '../core/errors.js';
import type { ConfiguredRepository } from '../worker/workerConfig.js';
import { notice } from './output.js';

export function checkEmbeddedBackupReplication(repository: ConfiguredRepository): void {
  if (repository.name === undefined) return;
  const sets = loadConfig()?.config.replication ?? {};
  const found = Object.entries(sets).find(([, entry]) => entry.primary === repository.name);
  if (!found) return;
  const [set, entry] = found;
  if (entry.mode !== 'async') {
    throw new RepositoryError(
      'invalid-argument',
      `repository "${repository.name}" is the primary of replica set "${set}" (${entry.mode}): its backups wait for the replicas, which only a meridian worker does; set TEMPORAL_ADDRESS to a cluster where meridian worker runs`,
    );
  }
  notice(`repository "${repository.name}" is the primary of replica set "${set}": its replicas get this backup from the set's next replication pass, run by a meridian worker`);
}
