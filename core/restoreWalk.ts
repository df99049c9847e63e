// The restore's walk of a snapshot's trees: depth-first, one directory's tree at a time (its
// subdirectories' trees read a few ahead), refusing names that could escape the target, and
// telling a visitor what the path filter selects as it goes: a directory just before the first
// entry inside it (or, selected but empty, when it is left), each other entry, and each directory
// left. Nothing of a directory is kept once it is left, so memory follows the tree's depth and
// width, not its number of files.

import { setImmediate as turnOfEventLoop } from 'node:timers/promises';
import { isDamage } from './damage.js';
import { RepositoryError } from './errors.js';
import { childPath, PathBytes } from './fileNames.js';
import { PathFilter } from './pathFilter.js';
import { nodeNameBytes, nodeNameKey, Tree, TreeNode } from './tree.js';

export interface WalkedEntry {
  /** The path in the snapshot in printable form, for filters and messages. */
  rel: string;
  /** The same path as bytes, to create. */
  relPath: PathBytes;
  node: TreeNode;
  /** The directory it is in; none at the top of the target. */
  parent?: WalkedDir;
}

export interface WalkedDir extends WalkedEntry {
  /** Set by the visitor: the restore made this directory, so nothing was in it before. */
  madeHere?: boolean;
}

export interface RestoreVisitor {
  /** A directory to restore, before anything in it; its parent was entered before it. */
  enterDir(dir: WalkedDir): Promise<void> | void;
  /** A file, symlink or special file to restore. */
  entry(entry: WalkedEntry): Promise<void> | void;
  /** A directory entered before, once everything in it has been visited. */
  leaveDir(dir: WalkedDir): Promise<void> | void;
  /** A directory whose tree cannot be read: restored empty when selected itself. */
  damagedTree(rel: string, reason: string): void;
}

/** Entries walked between two turns of the event loop, so heartbeats run in a huge directory too. */
const YIELD_EVERY = 1024;
/** Subtrees read ahead of the walk: storage reads overlap, descriptors stay few. */
const TREES_READ_AHEAD = 16;

interface Frame {
  dir?: WalkedDir;
  parent?: Frame;
  entered: boolean;
}

/** Walks from the root tree, calling the visitor for everything the filter selects. */
export async function walkRestoreTree(readTree: (id: string) => Promise<Tree>, filter: PathFilter, rootTree: string, visitor: RestoreVisitor): Promise<void> {
  let sinceTurn = 0;
  /** Enters the frame's directory and those above it not yet entered, outermost first. */
  const enter = async (frame: Frame | undefined): Promise<void> => {
    if (!frame || frame.entered) return;
    await enter(frame.parent);
    frame.entered = true;
    await visitor.enterDir(frame.dir!);
  };

  const walk = async (treeId: string | undefined, frame: Frame, rel: string, prefetched?: Promise<Tree>): Promise<void> => {
    let tree;
    try {
      if (treeId === undefined) throw new RepositoryError('integrity', '[repository] the directory has no tree');
      tree = await (prefetched ?? readTree(treeId));
    } catch (err) {
      if (!isDamage(err)) throw err;
      visitor.damagedTree(`${rel}/`, `its tree cannot be read: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    const subtree = subtreeReader(readTree, filter, tree, rel);
    const seen = new Set<string>();
    for (const node of tree.nodes) {
      if (++sinceTurn >= YIELD_EVERY) {
        sinceTurn = 0;
        await turnOfEventLoop();
      }
      const childRel = rel ? `${rel}/${node.name}` : node.name;
      const key = nodeNameKey(node);
      if (!isPlainName(key)) throw unsafe(childRel, 'is not a plain file name');
      if (seen.has(key)) throw unsafe(childRel, 'appears twice in one directory');
      seen.add(key);
      if (filter.excluded(childRel)) continue;
      const name = nodeNameBytes(node);
      const entry: WalkedEntry = { rel: childRel, relPath: frame.dir ? childPath(frame.dir.relPath, name) : name, node, parent: frame.dir };
      if (node.type === 'dir') {
        const selected = filter.included(childRel);
        if (!selected && !filter.mayContainIncluded(childRel)) continue;
        const child: Frame = { dir: entry, parent: frame, entered: false };
        await walk(node.subtree, child, childRel, subtree(node));
        if (selected) await enter(child);
        if (child.entered) await visitor.leaveDir(entry);
      } else if (filter.included(childRel)) {
        await enter(frame);
        const visited = visitor.entry(entry);
        if (visited) await visited;
      }
    }
  };
  await walk(rootTree, { entered: true }, '');
}

/**
 * Reads the subtrees of a directory's selected subdirectories up to TREES_READ_AHEAD ahead of the
 * walk, so it does not wait for each storage read in turn (a tile tree has hundreds of sibling
 * directories). A read that fails is reported when the walk reaches it, or never if it stops first.
 */
function subtreeReader(readTree: (id: string) => Promise<Tree>, filter: PathFilter, tree: Tree, rel: string): (node: TreeNode) => Promise<Tree> | undefined {
  const selected = tree.nodes.filter((node) => {
    if (node.type !== 'dir' || node.subtree === undefined) return false;
    const childRel = rel ? `${rel}/${node.name}` : node.name;
    return !filter.excluded(childRel) && (filter.included(childRel) || filter.mayContainIncluded(childRel));
  });
  const reads = new Map<TreeNode, Promise<Tree>>();
  let started = 0;
  return (node) => {
    const at = selected.indexOf(node, started - reads.size);
    for (; started < Math.min(at + TREES_READ_AHEAD, selected.length); started++) {
      const read = readTree(selected[started]!.subtree!);
      read.catch(() => undefined);
      reads.set(selected[started]!, read);
    }
    const read = reads.get(node);
    reads.delete(node);
    return read;
  };
}

/** Whether a name (its bytes, one character each) is one entry of a directory: on POSIX only '/' and NUL are not allowed in it, and '', '.', '..' name no new entry. */
function isPlainName(bytes: string): boolean {
  return bytes !== '' && bytes !== '.' && bytes !== '..' && !bytes.includes('/') && !bytes.includes('\0');
}

export function unsafe(rel: string, why: string): RepositoryError {
  return new RepositoryError('unsafe-path', `refusing to restore "${rel}": it ${why} and could escape the target`);
}
