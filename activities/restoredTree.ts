// A restored tree checked against the snapshot it came from (a runbook compare step with a
// snapshot, e.g. ransomware-recovery's): every entry the snapshot records is in the target with
// the same kind, a file with the same size, a link with the same target, and the target holds
// nothing the snapshot lacks. Contents were authenticated blob by blob as the restore wrote them;
// this finds what a restore did not write, or what changed in the target after it.

import type { Dirent } from 'node:fs';
import fsp from 'node:fs/promises';
import { BlobReader } from '../core/blobReader.js';
import { childPath, printable, type PathBytes } from '../core/fileNames.js';
import { MasterIndex } from '../core/masterIndex.js';
import { packsBeingPruned } from '../core/prunePlan.js';
import type { Repository } from '../core/repository.js';
import { findSnapshot } from '../core/snapshots.js';
import { nodeNameBytes, nodeNameKey, nodeTargetBytes, type TreeNode } from '../core/tree.js';
import type { TreeComparison } from '../core/treeCompare.js';

const DIFFERENCES_LISTED = 10;
const KINDS: Partial<Record<TreeNode['type'], (entry: Dirent) => boolean>> = {
  file: (e) => e.isFile(),
  dir: (e) => e.isDirectory(),
  symlink: (e) => e.isSymbolicLink(),
  fifo: (e) => e.isFIFO(),
};

export async function compareWithSnapshot(repo: Repository, snapshotRef: string, target: string, signal: AbortSignal): Promise<TreeComparison> {
  const snapshot = await findSnapshot(repo, snapshotRef);
  const reader = new BlobReader(repo, await MasterIndex.load(repo, { demotePacks: await packsBeingPruned(repo) }));
  const result: TreeComparison = { identical: true, entries: 0, bytes: 0, differences: 0, firstDifferences: [] };
  const note = (rel: string, what: string) => {
    result.identical = false;
    result.differences++;
    if (result.firstDifferences.length < DIFFERENCES_LISTED) result.firstDifferences.push(`${rel}: ${what}`);
  };
  const walk = async (treeId: string | undefined, dir: PathBytes, rel: string): Promise<void> => {
    signal.throwIfAborted();
    const nodes = treeId === undefined ? [] : (await reader.tree(treeId)).nodes;
    const present = new Map<string, Dirent>();
    for (const entry of await fsp.readdir(dir, { withFileTypes: true, encoding: 'buffer' }).catch(() => [] as Dirent[])) present.set(Buffer.from(entry.name).toString('latin1'), entry as unknown as Dirent);
    for (const node of nodes) {
      const key = nodeNameKey(node);
      const path = childPath(dir, nodeNameBytes(node));
      const at = rel ? `${rel}/${printable(nodeNameBytes(node))}` : printable(nodeNameBytes(node));
      const entry = present.get(key);
      present.delete(key);
      result.entries++;
      if (node.type === 'file') result.bytes += node.size ?? 0;
      const sameKind = KINDS[node.type];
      if (!entry) note(at, 'missing from the target');
      else if (sameKind && !sameKind(entry)) note(at, `a ${node.type} in the snapshot, not in the target`);
      else if (node.type === 'file' && (await fsp.lstat(path)).size !== (node.size ?? 0)) note(at, 'the sizes differ');
      else if (node.type === 'symlink' && !Buffer.from(await fsp.readlink(path, { encoding: 'buffer' })).equals(Buffer.from(nodeTargetBytes(node)))) note(at, 'the link targets differ');
      else if (node.type === 'dir') await walk(node.subtree, path, at);
    }
    for (const extra of present.values()) note(rel ? `${rel}/${printable(Buffer.from(extra.name))}` : printable(Buffer.from(extra.name)), 'not in the snapshot');
  };
  await walk(snapshot.tree, target, '');
  return result;
}
