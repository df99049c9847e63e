// Directory trees: one blob per directory listing its entries (files with their chunk ids,
// subdirectories by tree id, symlinks by target). Identical directories share one blob.

import { z } from 'zod';
import { RepositoryError } from './errors.js';

export const TreeNodeSchema = z.object({
  name: z.string(),
  type: z.enum(['file', 'dir', 'symlink']),
  mode: z.number().int().nonnegative(),
  /** Modification time in nanoseconds since the epoch, as a decimal string. */
  mtimeNs: z.string().regex(/^-?\d+$/),
  size: z.number().int().nonnegative().optional(),
  /** Inode and device, as decimal strings: with size and mtime they tell an unchanged file. */
  inode: z.string().optional(),
  dev: z.string().optional(),
  content: z.array(z.string()).optional(),
  subtree: z.string().optional(),
  target: z.string().optional(),
});
export type TreeNode = z.infer<typeof TreeNodeSchema>;

export const TreeSchema = z.object({ nodes: z.array(TreeNodeSchema) });
export type Tree = z.infer<typeof TreeSchema>;

export function encodeTree(nodes: TreeNode[]): Uint8Array {
  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return Buffer.from(JSON.stringify({ nodes: sorted }));
}

export function decodeTree(bytes: Uint8Array, id: string): Tree {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = TreeSchema.safeParse(value);
  if (!parsed.success) throw new RepositoryError('integrity', `[repository] tree ${id.slice(0, 12)} is malformed`);
  return parsed.data;
}
