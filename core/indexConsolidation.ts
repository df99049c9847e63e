// Rewrites the index into few large files: every pack named by the index files listed now,
// less the packs about to be deleted, is written into new files first; only then are the listed
// files deleted. A reader sees each pack indexed throughout (twice for a moment, which the
// master index ignores), and never an entry for a pack that is gone.

import { IndexedPack, IndexFileSchema } from './masterIndex.js';
import { Repository } from './repository.js';

/** Blobs per consolidated index file (a file of tree blobs is then ~15 MB of JSON). */
const BLOBS_PER_INDEX_FILE = 100_000;

export interface ConsolidationResult {
  before: number;
  after: number;
}

export async function consolidateIndex(repo: Repository, options: { dropPacks: ReadonlySet<string>; beforeChange?: () => void }): Promise<ConsolidationResult> {
  const listed: string[] = [];
  for await (const entry of repo.storage.list('index')) listed.push(entry.name);
  const packs: IndexedPack[] = [];
  const seen = new Set<string>();
  for (const name of listed) {
    for (const pack of (await repo.loadJsonFile('index', name, IndexFileSchema)).packs) {
      if (options.dropPacks.has(pack.id) || seen.has(pack.id)) continue;
      seen.add(pack.id);
      packs.push(pack);
    }
  }
  const written = new Set<string>();
  for (let from = 0; from < packs.length; ) {
    let to = from;
    for (let blobs = 0; to < packs.length && (to === from || blobs + packs[to]!.blobs.length <= BLOBS_PER_INDEX_FILE); to++) blobs += packs[to]!.blobs.length;
    options.beforeChange?.();
    written.add(await repo.saveJsonFile('index', { packs: packs.slice(from, to) }));
    from = to;
  }
  for (const name of listed) {
    if (written.has(name)) continue;
    options.beforeChange?.();
    await repo.storage.delete({ type: 'index', name });
  }
  return { before: listed.length, after: written.size };
}

/** How many files consolidateIndex would write for these packs: rewriting pays only when fewer than there are. */
export function consolidatedFileCount(blobCount: number): number {
  return Math.max(1, Math.ceil(blobCount / BLOBS_PER_INDEX_FILE));
}
