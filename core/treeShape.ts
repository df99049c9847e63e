// The shape check of a decoded tree blob, written out by hand: every tree of a snapshot is read by
// each backup (its parent's) and restore, and zod's parse of TreeSchema (core/tree.ts) took a tenth
// of a backup with nothing changed, copying every node. This accepts exactly what TreeSchema
// accepts (test/unit/treeShape.test.ts compares them) and checks the nodes in place; unknown
// fields are left on the node rather than stripped.

import { isObject } from './jsonShape.js';
import type { Tree } from './tree.js';

const NODE_TYPES = new Set(['file', 'dir', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SIGNED_DECIMAL = /^-?\d+$/;
const DECIMAL = /^\d+$/;

type Check = (value: unknown) => boolean;

const isString: Check = (v) => typeof v === 'string';
const isBase64: Check = (v) => typeof v === 'string' && BASE64.test(v);
const isSignedDecimal: Check = (v) => typeof v === 'string' && SIGNED_DECIMAL.test(v);
const isDecimal: Check = (v) => typeof v === 'string' && DECIMAL.test(v);
const isCount: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isLinkCount: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 2;
const isStrings: Check = (v) => Array.isArray(v) && v.every(isString);
const isXattrs: Check = (v) => Array.isArray(v) && v.every((x) => isObject(x) && isString(x.name) && isBase64(x.value));

/** The fields a node may have besides name, type, mode and mtimeNs, and what each must be. */
const OPTIONAL_FIELDS: ReadonlyMap<string, Check> = new Map(Object.entries({
  rawName: isBase64,
  ctimeNs: isSignedDecimal,
  size: isCount,
  inode: isString,
  dev: isString,
  content: isStrings,
  subtree: isString,
  target: isString,
  rawTarget: isBase64,
  uid: isCount,
  gid: isCount,
  user: isString,
  group: isString,
  nlink: isLinkCount,
  rdev: isDecimal,
  xattrs: isXattrs,
}));

function isTreeNode(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (!isString(value.name) || !NODE_TYPES.has(value.type as string) || !isCount(value.mode) || !isSignedDecimal(value.mtimeNs)) return false;
  for (const key in value) {
    const check = OPTIONAL_FIELDS.get(key);
    if (check && value[key] !== undefined && !check(value[key])) return false;
  }
  return true;
}

/** Whether a parsed JSON value is a tree: `{ nodes: [...] }` of well-formed nodes. */
export function isTree(value: unknown): value is Tree {
  return isObject(value) && Array.isArray(value.nodes) && value.nodes.every(isTreeNode);
}
