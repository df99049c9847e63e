// Repairs of a damaged repository, as restic has them. `repairIndex` rebuilds the index from the
// pack headers (new index files first, the old ones deleted only once those are stored).
// `repairSnapshots` rewrites each snapshot whose trees reference data the index does not have, or
// trees that cannot be read: as restic does, a file keeps the chunks that are still there (missing
// ones are dropped, its size shrinks) and an unreadable directory becomes an empty one; the new
// snapshot carries the tag "repaired" and the damaged original is deleted.

import { encodeBlob } from './blobCodec.js';
import { BlobReader } from './blobReader.js';
import { isDamage } from './damage.js';
import { IndexedPack, IndexWriter, MasterIndex } from './masterIndex.js';
import { PackBlobEntry, readPackHeader } from './packFormat.js';
import { PackWriter } from './packWriter.js';
import { PruneWatch } from './pruneWatch.js';
import { Repository } from './repository.js';
import { listSnapshots, saveSnapshot } from './snapshots.js';
import { encodeTree, TreeNode } from './tree.js';
import { refuseReplica } from './replicaState.js';

/** Listed problems beyond this many are only counted: results stay small in workflow history. */
export const MAX_REPAIR_LISTED = 50;

export interface RepairProgress {
  phase: 'packs' | 'snapshots';
  done: number;
  total: number;
}

export interface RepairIndexResult {
  packsRead: number;
  blobsIndexed: number;
  packsUnreadable: number;
  /** The first MAX_REPAIR_LISTED unreadable packs. */
  unreadable: { pack: string; reason: string }[];
  indexFilesWritten: number;
  indexFilesRemoved: number;
}

/** Index files written by a repair hold this many packs each. */
const PACKS_PER_INDEX_FILE = 256;

/**
 * `signal` is checked while packs are read, before anything is written: a canceled repair leaves
 * the repository as it found it.
 */
export async function repairIndex(repo: Repository, onProgress?: (p: RepairProgress) => void, signal?: AbortSignal): Promise<RepairIndexResult> {
  await refuseReplica(repo, 'repair index');
  // Index files are listed before packs: a writer stores a pack before the index file naming it,
  // so every pack an old index file names is in the listing below, and is indexed again.
  const oldFiles: string[] = [];
  for await (const entry of repo.storage.list('index')) oldFiles.push(entry.name);
  const old = entriesByPack(await MasterIndex.load(repo, () => undefined));
  const packs: { name: string; size: number }[] = [];
  for await (const entry of repo.storage.list('data')) packs.push(entry);

  const result: RepairIndexResult = { packsRead: 0, blobsIndexed: 0, packsUnreadable: 0, unreadable: [], indexFilesWritten: 0, indexFilesRemoved: 0 };
  const written = new Set<string>();
  let batch: IndexedPack[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    written.add(await repo.saveJsonFile('index', { packs: batch }));
    result.indexFilesWritten += 1;
    batch = [];
  };
  for (const [i, pack] of packs.entries()) {
    signal?.throwIfAborted();
    let blobs: PackBlobEntry[];
    try {
      blobs = await readPackHeader(repo.storage, repo.keys, pack.name, pack.size);
      result.packsRead += 1;
    } catch (err) {
      if (!isDamage(err)) throw err;
      result.packsUnreadable += 1;
      if (result.unreadable.length < MAX_REPAIR_LISTED) result.unreadable.push({ pack: pack.name, reason: (err as Error).message });
      // What a readable old index file said about the pack still holds for the blobs inside it.
      blobs = (old.get(pack.name) ?? []).filter((b) => b.offset + b.length <= pack.size);
    }
    if (blobs.length > 0) batch.push({ id: pack.name, blobs });
    result.blobsIndexed += blobs.length;
    if (batch.length >= PACKS_PER_INDEX_FILE) await flush();
    onProgress?.({ phase: 'packs', done: i + 1, total: packs.length });
  }
  await flush();
  for (const name of oldFiles) {
    if (written.has(name)) continue;
    await repo.storage.delete({ type: 'index', name });
    result.indexFilesRemoved += 1;
  }
  return result;
}

function entriesByPack(index: MasterIndex): Map<string, PackBlobEntry[]> {
  const byPack = new Map<string, PackBlobEntry[]>();
  for (const [id] of index.entries()) {
    for (const loc of index.locations(id)) {
      let list = byPack.get(loc.pack);
      if (!list) byPack.set(loc.pack, (list = []));
      list.push({ id, type: loc.type, offset: loc.offset, length: loc.length, codec: loc.codec, rawLength: loc.rawLength });
    }
  }
  return byPack;
}

export interface RepairSnapshotsResult {
  snapshotsChecked: number;
  snapshotsRepaired: number;
  /** Snapshot files that cannot be read at all: left in place (nothing to rewrite them from). */
  snapshotsUnreadable: number;
  /** Files that lost chunks, and directories replaced by empty ones (counted once per distinct tree). */
  filesTrimmed: number;
  dirsEmptied: number;
  /** The first MAX_REPAIR_LISTED repairs: the damaged snapshot and the one that replaces it. */
  repaired: { original: string; replacement: string }[];
}

export const REPAIRED_TAG = 'repaired';

/** `signal` is checked while trees are rewritten, before any snapshot is replaced. */
export async function repairSnapshots(repo: Repository, onProgress?: (p: RepairProgress) => void, signal?: AbortSignal): Promise<RepairSnapshotsResult> {
  await refuseReplica(repo, 'repair snapshots');
  const result: RepairSnapshotsResult = { snapshotsChecked: 0, snapshotsRepaired: 0, snapshotsUnreadable: 0, filesTrimmed: 0, dirsEmptied: 0, repaired: [] };
  // Like a backup, a repair writes trees that deduplicate against the index and commits snapshots.
  const prunes = await PruneWatch.start(repo);
  prunes.refuseWhilePruning('repair snapshots');
  const snapshots = await listSnapshots(repo, { onDamaged: () => (result.snapshotsUnreadable += 1) });
  const index = await MasterIndex.load(repo);
  const rewriter = new TreeRewriter(repo, index, result);
  const newRoots: (string | undefined)[] = [];
  for (const [i, snap] of snapshots.entries()) {
    signal?.throwIfAborted();
    newRoots.push(await rewriter.rewrite(snap.tree));
    onProgress?.({ phase: 'snapshots', done: i + 1, total: snapshots.length });
  }
  signal?.throwIfAborted();
  // Packs, then index, then snapshots: a snapshot never names a tree that is not indexed yet.
  await rewriter.flush();
  for (const [i, snap] of snapshots.entries()) {
    result.snapshotsChecked += 1;
    const tree = newRoots[i];
    if (tree === undefined) continue;
    const { id, ...manifest } = snap;
    await prunes.checkBeforeCommit();
    const replacement = await saveSnapshot(repo, { ...manifest, tree, tags: [...manifest.tags.filter((t) => t !== REPAIRED_TAG), REPAIRED_TAG] });
    await prunes.checkAfterCommit(replacement); // the damaged original stays until its replacement is safe
    await repo.storage.delete({ type: 'snapshots', name: id });
    result.snapshotsRepaired += 1;
    if (result.repaired.length < MAX_REPAIR_LISTED) result.repaired.push({ original: id, replacement });
  }
  return result;
}

/** Rewrites trees without the references to lost data, storing each new tree once. */
class TreeRewriter {
  private readonly reader: BlobReader;
  /** Tree id → its replacement, or undefined when the tree is intact. */
  private readonly rewritten = new Map<string, string | undefined>();
  private readonly stored = new Set<string>();
  private readonly indexWriter: IndexWriter;
  private readonly packs: PackWriter;

  constructor(
    private readonly repo: Repository,
    private readonly index: MasterIndex,
    private readonly result: RepairSnapshotsResult,
  ) {
    this.reader = new BlobReader(repo, index);
    this.indexWriter = new IndexWriter(repo);
    this.packs = new PackWriter(repo.storage, repo.keys, repo.config.packSize, (pack) => this.indexWriter.add(pack));
  }

  /** The id of the repaired tree, or undefined when `treeId` and everything under it is intact. */
  async rewrite(treeId: string | undefined): Promise<string | undefined> {
    if (treeId !== undefined && this.rewritten.has(treeId)) return this.rewritten.get(treeId);
    const replacement = await this.rewriteOnce(treeId);
    if (treeId !== undefined) this.rewritten.set(treeId, replacement);
    return replacement;
  }

  async flush(): Promise<void> {
    await this.packs.flush();
    await this.indexWriter.flush();
  }

  private async rewriteOnce(treeId: string | undefined): Promise<string | undefined> {
    const nodes = treeId !== undefined && this.index.has(treeId) ? await this.readTree(treeId) : undefined;
    if (!nodes) {
      this.result.dirsEmptied += 1;
      return this.store([]);
    }
    let changed = false;
    const kept: TreeNode[] = [];
    for (const node of nodes) {
      if (node.type === 'dir') {
        const subtree = await this.rewrite(node.subtree);
        kept.push(subtree === undefined ? node : { ...node, subtree });
        changed ||= subtree !== undefined;
      } else if (node.type === 'file' && node.content?.some((id) => !this.index.has(id))) {
        const content = node.content.filter((id) => this.index.has(id));
        kept.push({ ...node, content, size: content.reduce((sum, id) => sum + this.index.get(id)!.rawLength, 0) });
        this.result.filesTrimmed += 1;
        changed = true;
      } else {
        kept.push(node);
      }
    }
    return changed ? this.store(kept) : undefined;
  }

  /** The tree's entries, or undefined when it cannot be read back. */
  private async readTree(id: string): Promise<TreeNode[] | undefined> {
    try {
      return (await this.reader.tree(id)).nodes;
    } catch (err) {
      if (!isDamage(err)) throw err;
      return undefined;
    }
  }

  private async store(nodes: TreeNode[]): Promise<string> {
    const bytes = encodeTree(nodes);
    const id = this.repo.blobId(bytes);
    if (!this.index.has(id) && !this.stored.has(id)) {
      this.stored.add(id);
      const settings = { keys: this.repo.keys, compression: this.repo.config.compression, compressionLevel: this.repo.config.compressionLevel };
      await this.packs.add(encodeBlob(settings, 'tree', bytes, id));
    }
    return id;
  }
}
