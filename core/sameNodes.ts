// Whether a directory's nodes, as a backup has just recorded them, are its parent-snapshot tree's
// nodes again, field for field: then the directory's tree is that tree, and the backup reuses its
// id instead of encoding, hashing and looking up the same blob once more (most of what a backup
// with nothing changed spends on trees). Any difference, an unknown field included, says no, and
// the tree is encoded as before.

import type { TreeNode } from './tree.js';

/** `nodes` hold exactly the entries of the previous tree, whose `count` nodes are `previous` by name. */
export function sameNodes(nodes: readonly TreeNode[], previous: ReadonlyMap<string, TreeNode>, count: number, keyOf: (node: TreeNode) => string): boolean {
  if (nodes.length !== count || previous.size !== count) return false;
  for (const node of nodes) if (!sameNode(previous.get(keyOf(node)), node)) return false;
  return true;
}

function sameNode(before: TreeNode | undefined, now: TreeNode): boolean {
  if (!before) return false;
  const a = before as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  let fields = 0;
  for (const key in b) {
    fields++;
    if (a[key] !== b[key] && !sameList(a[key], b[key])) return false;
  }
  for (const key in a) if (--fields < 0 || !(key in b)) return false;
  return fields === 0;
}

/** Two lists (chunk ids, extended attributes) of equal elements. */
function sameList(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x: unknown = a[i];
    const y: unknown = b[i];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    const [p, q] = [x as Record<string, unknown>, y as Record<string, unknown>];
    if (p.name !== q.name || p.value !== q.value || Object.keys(p).length !== 2 || Object.keys(q).length !== 2) return false;
  }
  return true;
}
