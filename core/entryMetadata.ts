// Restoring what a tree node says about an entry besides its content: owner (as root only, by
// numeric id, as restic does), extended attributes, mode and the exact nanosecond mtime; and
// recreating FIFOs and device nodes (devices as root only; sockets are not recreated).

import fs from 'node:fs';
import { FileFinish } from './decoderProtocol.js';
import { PathBytes } from './fileNames.js';
import { makeNode, S_IFBLK, S_IFCHR, S_IFIFO, setTimesNs } from './nativeFs.js';
import { TreeNode } from './tree.js';
import { writeXattrs } from './xattrs.js';

/** Ownership is restored only by root; anyone else gets the files as their own, silently. */
export function restoringAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function ownerOf(node: TreeNode, asRoot: boolean): { uid: number; gid: number } | undefined {
  return asRoot && node.uid !== undefined && node.gid !== undefined ? { uid: node.uid, gid: node.gid } : undefined;
}

/** What a restored file gets once its content is written (see finishFile). */
export function fileFinish(node: TreeNode, asRoot: boolean): FileFinish {
  const finish: FileFinish = { mode: node.mode, mtimeNs: node.mtimeNs, size: node.size ?? 0 };
  const owner = ownerOf(node, asRoot);
  if (owner) finish.owner = owner;
  if (node.xattrs) finish.xattrs = node.xattrs;
  return finish;
}

/**
 * Owner (chown clears setuid and setgid, so it goes first), attributes, mode, then the mtime to
 * the nanosecond, for a directory, symlink, FIFO or device node; a symlink itself is never followed
 * (and has no mode of its own on Linux).
 */
export function restoreEntryMetadata(abs: PathBytes, node: TreeNode, asRoot: boolean): void {
  const owner = ownerOf(node, asRoot);
  if (owner) fs.lchownSync(abs, owner.uid, owner.gid);
  if (node.xattrs) writeXattrs(abs, node.xattrs);
  if (node.type !== 'symlink') fs.chmodSync(abs, node.mode);
  setTimesNs(abs, node.mtimeNs, false);
}

const NODE_TYPES: Partial<Record<TreeNode['type'], number>> = { fifo: S_IFIFO, chardev: S_IFCHR, blockdev: S_IFBLK };

/** Creates a FIFO or device node, or says why the entry is not recreated. */
export function makeSpecialEntry(abs: PathBytes, node: TreeNode, asRoot: boolean): string | undefined {
  const type = NODE_TYPES[node.type];
  if (type === undefined) return 'sockets are not recreated (a socket belongs to the process that listens on it)';
  if (type !== S_IFIFO && !asRoot) return 'device nodes are recreated only when restoring as root';
  makeNode(abs, type, node.mode, BigInt(node.rdev ?? '0'));
  return undefined;
}
