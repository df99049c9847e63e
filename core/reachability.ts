// Which blobs snapshots use: every tree reachable from their roots and every data blob those
// trees name. A tree that cannot be read stops the walk with an error: what it names cannot be
// known, so nothing may be deleted on the strength of the walk (restic's prune refuses too).

import { BlobReader } from './blobReader.js';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { Repository } from './repository.js';
import { SnapshotManifestSchema, Snapshot } from './snapshots.js';
import { isNotFound } from '../storage/storage.js';

/** Every snapshot whose file can be read now; one deleted while listing (a forget) is left out. */
export async function readSnapshots(repo: Repository, skip: ReadonlySet<string> = new Set()): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const entry of repo.storage.list('snapshots')) {
    if (skip.has(entry.name)) continue;
    try {
      out.push({ id: entry.name, ...(await repo.loadJsonFile('snapshots', entry.name, SnapshotManifestSchema)) });
    } catch (err) {
      if (isNotFound(err)) continue;
      if (isDamage(err)) throw unreadable(`snapshot ${entry.name.slice(0, 12)}`, err);
      throw err;
    }
  }
  return out;
}

/** Adds to `used` every blob the snapshots use; trees already in `used` are not walked again. */
export async function addUsedBlobs(
  reader: BlobReader,
  snapshots: Snapshot[],
  used: Set<string>,
  options: { signal?: AbortSignal; onSnapshot?: (done: number) => void } = {},
): Promise<void> {
  for (const [i, snap] of snapshots.entries()) {
    options.signal?.throwIfAborted();
    const pending = [snap.tree];
    for (let treeId = pending.pop(); treeId !== undefined; treeId = pending.pop()) {
      if (used.has(treeId)) continue;
      used.add(treeId);
      let nodes;
      try {
        nodes = (await reader.tree(treeId)).nodes;
      } catch (err) {
        if (isDamage(err)) throw unreadable(`tree ${treeId.slice(0, 12)} of snapshot ${snap.id.slice(0, 12)}`, err);
        throw err;
      }
      for (const node of nodes) {
        if (node.subtree !== undefined) pending.push(node.subtree);
        for (const id of node.content ?? []) used.add(id);
      }
    }
    options.onSnapshot?.(i + 1);
  }
}

function unreadable(what: string, cause: unknown): RepositoryError {
  return new RepositoryError(
    'integrity',
    `[prune] ${what} cannot be read, so what it uses is unknown; nothing was deleted. Run \`meridian verify\` and \`meridian repair\` first`,
    { cause },
  );
}
