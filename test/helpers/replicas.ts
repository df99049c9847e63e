// Replication unit tests' repositories: a primary with a short history (1 MiB packs, several
// index files) and a replica of it made by initReplica, each opened with the same passphrase,
// over storages a test can wrap (record, fail, hold) per side.

import { Repository } from '../../core/repository';
import { initReplica } from '../../core/replicaInit';
import { LocalStorage } from '../../storage/local';
import { Storage } from '../../storage/storage';
import { buildHistory, HISTORY_PASSPHRASE } from './pruneHistory';
import { tempDir } from './trees';

export interface PrimaryAndReplica {
  primary: Repository;
  primaryDir: string;
  /** Snapshot id → the source folder it was backed up from. */
  sources: Map<string, string>;
  replicaDir: string;
  /** Opens the replica over its plain storage, or over a wrapper of it. */
  openReplica: (wrap?: (plain: Storage) => Storage) => Promise<Repository>;
}

export async function primaryWithReplica(rounds = 3): Promise<PrimaryAndReplica> {
  const primaryDir = tempDir('replication-primary');
  const { repo: primary, sources } = await buildHistory(new LocalStorage(primaryDir), rounds);
  const replicaDir = tempDir('replication-replica');
  await initReplica(primary, new LocalStorage(replicaDir));
  const openReplica = async (wrap?: (plain: Storage) => Storage) => {
    const plain = new LocalStorage(replicaDir);
    return Repository.open(wrap ? wrap(plain) : plain, HISTORY_PASSPHRASE);
  };
  return { primary, primaryDir, sources, replicaDir, openReplica };
}
