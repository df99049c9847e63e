// Directory trees: one blob per directory listing its entries (files with their chunk ids,
// subdirectories by tree id, symlinks by target, FIFOs, sockets and device nodes with their
// metadata). Identical directories share one blob.
// Names are bytes: one that is not valid UTF-8 is kept in `rawName` (base64), and entries are
// sorted by their bytes.

import { z } from 'zod';
import { RepositoryError } from './errors.js';
import { storedBytes } from './fileNames.js';
import { isTree } from './treeShape.js';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const TreeNodeSchema = z.object({
  /** The name; when it is not valid UTF-8, a printable form of it (for display and filters only). */
  name: z.string(),
  /** The name's bytes in base64, present only when they are not valid UTF-8. */
  rawName: base64.optional(),
  type: z.enum(['file', 'dir', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev']),
  mode: z.number().int().nonnegative(),
  /** Modification time in nanoseconds since the epoch, as a decimal string. */
  mtimeNs: z.string().regex(/^-?\d+$/),
  /** Status-change time of a file in nanoseconds: a file rewritten with its mtime reset has a new one. */
  ctimeNs: z.string().regex(/^-?\d+$/).optional(),
  size: z.number().int().nonnegative().optional(),
  /** Inode and device, as decimal strings: with size and mtime they tell an unchanged file. */
  inode: z.string().optional(),
  dev: z.string().optional(),
  content: z.array(z.string()).optional(),
  subtree: z.string().optional(),
  target: z.string().optional(),
  /** The symlink target's bytes in base64, present only when they are not valid UTF-8. */
  rawTarget: base64.optional(),
  /** Owner and group ids, and their names on the backed-up host when it knows them. */
  uid: z.number().int().nonnegative().optional(),
  gid: z.number().int().nonnegative().optional(),
  user: z.string().optional(),
  group: z.string().optional(),
  /** Link count, recorded on files when above 1: restore links the files sharing inode and dev. */
  nlink: z.number().int().min(2).optional(),
  /** Device number of a chardev or blockdev, as a decimal string. */
  rdev: z.string().regex(/^\d+$/).optional(),
  /** Extended attributes (user.*, security.*, system.posix_acl_*, ...), values in base64. */
  xattrs: z.array(z.object({ name: z.string(), value: base64 })).optional(),
});
export type TreeNode = z.infer<typeof TreeNodeSchema>;

export const TreeSchema = z.object({ nodes: z.array(TreeNodeSchema) });
export type Tree = z.infer<typeof TreeSchema>;

/** A node's name as stored on disk. */
export const nodeNameBytes = (node: TreeNode) => storedBytes(node.name, node.rawName);

/** A node's symlink target as stored on disk. */
export const nodeTargetBytes = (node: TreeNode) => storedBytes(node.target ?? '', node.rawTarget);

/** The name's bytes as a string (latin1: one character per byte), to compare, sort and look up names by their bytes. */
export const nodeNameKey = (node: TreeNode) => Buffer.from(nodeNameBytes(node)).toString('latin1');

/** UTF-16 surrogates: the one place where comparing strings does not follow their UTF-8 bytes. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** A tree blob of these nodes, sorted by their names' bytes. */
export function encodeTree(nodes: TreeNode[]): Uint8Array {
  let sorted: TreeNode[];
  if (nodes.every((n) => n.rawName === undefined && !SURROGATE.test(n.name))) {
    sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } else {
    const keyed = nodes.map((node) => ({ node, key: nodeNameKey(node) }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    sorted = keyed.map((k) => k.node);
  }
  return Buffer.from(JSON.stringify({ nodes: sorted }));
}

export function decodeTree(bytes: Uint8Array, id: string): Tree {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isTree(value)) throw new RepositoryError('integrity', `[repository] tree ${id.slice(0, 12)} is malformed`);
  return value;
}
