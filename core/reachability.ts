// Which blobs snapshots use: every tree reachable from their roots and every data blob those
// trees name, reading several trees at once; and the data blobs journal segments name. A tree
// that cannot be read stops the walk with an error: what it names cannot be known, so nothing
// may be deleted on the strength of the walk (restic's prune refuses too).

import { BlobReader } from './blobReader.js';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { journalBlobs, readJournalFiles } from './journalSegments.js';
import { Repository } from './repository.js';
import { listSnapshots, Snapshot } from './snapshots.js';
import { forEachConcurrently } from './concurrently.js';

/** Tree reads in flight during a walk: each is a round trip to a cloud store. */
const TREE_READS_AT_ONCE = 16;

/** Every snapshot but those in `skip`; one deleted while listing (a forget) is left out, a damaged one stops the prune. */
export async function readSnapshots(repo: Repository, skip: ReadonlySet<string> = new Set()): Promise<Snapshot[]> {
  try {
    return (await listSnapshots(repo)).filter((s) => !skip.has(s.id));
  } catch (err) {
    if (isDamage(err)) throw unreadable('a snapshot file', err);
    throw err;
  }
}

/** Adds to `used` every blob the snapshots use; trees already in `used` are not walked again. */
export async function addUsedBlobs(
  reader: BlobReader,
  snapshots: Snapshot[],
  used: Set<string>,
  options: { signal?: AbortSignal; onSnapshot?: (done: number) => void } = {},
): Promise<void> {
  for (const [i, snap] of snapshots.entries()) {
    // Level by level: the trees of one level are read several at once.
    let level = [snap.tree];
    while (level.length > 0) {
      options.signal?.throwIfAborted();
      const next: string[] = [];
      const fresh: string[] = [];
      for (const id of level) {
        if (used.has(id)) continue;
        used.add(id);
        fresh.push(id);
      }
      await forEachConcurrently(fresh, TREE_READS_AT_ONCE, async (treeId) => {
        let nodes;
        try {
          nodes = (await reader.tree(treeId)).nodes;
        } catch (err) {
          throw isDamage(err) ? unreadable(`tree ${treeId.slice(0, 12)} of snapshot ${snap.id.slice(0, 12)}`, err) : err;
        }
        for (const node of nodes) {
          if (node.subtree !== undefined) next.push(node.subtree);
          for (const id of node.content ?? []) used.add(id);
        }
      });
      level = next;
    }
    options.onSnapshot?.(i + 1);
  }
}

/** Adds to `used` every data blob the journal segments (all but those in `skip`) name; returns their ids. */
export async function addJournalBlobs(repo: Repository, used: Set<string>, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  let files;
  try {
    files = (await readJournalFiles(repo)).filter((f) => !skip.has(f.id));
  } catch (err) {
    if (isDamage(err)) throw unreadable('a journal segment', err);
    throw err;
  }
  journalBlobs(files, used);
  return files.map((f) => f.id);
}

function unreadable(what: string, cause: unknown): RepositoryError {
  return new RepositoryError(
    'integrity',
    `[prune] ${what} cannot be read, so what it uses is unknown; nothing was deleted. Run \`meridian verify\` and \`meridian repair\` first`,
    { cause },
  );
}
