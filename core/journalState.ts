// A source's state as a flat map (relative path → tree node): read from a snapshot's trees,
// changed by journal segments applied in order, and turned back into trees for a restore.

import { BlobReader } from './blobReader.js';
import { JournalSegmentFile } from './journalSegments.js';
import { Repository } from './repository.js';
import { encodeTree, Tree, TreeNode } from './tree.js';

/** Relative path → node; directories' `subtree` fields are stale once segments are applied. */
export type JournalState = Map<string, TreeNode>;

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);
export const parentPath = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));

/** Every entry of a snapshot's tree. */
export async function snapshotState(reader: BlobReader, rootTree: string): Promise<JournalState> {
  const state: JournalState = new Map();
  let level: { dir: string; tree: string }[] = [{ dir: '', tree: rootTree }];
  while (level.length > 0) {
    const next: typeof level = [];
    const trees = await Promise.all(level.map((l) => reader.tree(l.tree)));
    level.forEach(({ dir }, i) => {
      for (const node of trees[i]!.nodes) {
        const p = join(dir, node.name);
        state.set(p, node);
        if (node.type === 'dir' && node.subtree !== undefined) next.push({ dir: p, tree: node.subtree });
      }
    });
    level = next;
  }
  return state;
}

/** Applies a segment: its deletions (each with what is below it), then its entries (one that is not a directory replaces what was below it). */
export function applySegment(state: JournalState, segment: Pick<JournalSegmentFile, 'entries' | 'deleted'>): void {
  for (const p of segment.deleted) removeTree(state, p, true);
  for (const { path, node } of segment.entries) {
    if (node.type !== 'dir') removeTree(state, path, false);
    state.set(path, node);
  }
}

function removeTree(state: JournalState, p: string, itself: boolean): void {
  const before = state.get(p);
  if (itself) state.delete(p);
  if (before?.type !== 'dir') return;
  const prefix = `${p}/`;
  for (const key of state.keys()) if (key.startsWith(prefix)) state.delete(key);
}

/** The names under each directory ('' is the source itself). */
export function childrenOf(state: JournalState): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  for (const p of state.keys()) {
    const dir = parentPath(p);
    let names = children.get(dir);
    if (!names) children.set(dir, (names = new Set()));
    names.add(p.slice(dir === '' ? 0 : dir.length + 1));
  }
  return children;
}

/** The trees of a state, built in memory: the root tree's id and every tree by id. Entries whose directory is not in the state are left out. */
export function stateTrees(repo: Repository, state: JournalState): { root: string; trees: Map<string, Tree> } {
  const children = childrenOf(state);
  const trees = new Map<string, Tree>();
  const build = (dir: string): string => {
    const nodes: TreeNode[] = [];
    for (const name of children.get(dir) ?? []) {
      const p = join(dir, name);
      const node = state.get(p)!;
      nodes.push(node.type === 'dir' ? { ...node, subtree: build(p) } : node);
    }
    const id = repo.blobId(encodeTree(nodes));
    trees.set(id, { nodes });
    return id;
  };
  return { root: build(''), trees };
}
