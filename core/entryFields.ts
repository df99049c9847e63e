// What every archived entry records, read from its lstat: name (and its bytes when not UTF-8),
// permission bits, mtime, owner (ids and names) and extended attributes. Backups and journal
// segments record entries the same way. Extended attributes cost a system call per entry, so
// they are taken from the previous snapshot's entry for a file whose inode and ctime have not
// changed (setting or removing an attribute changes the ctime), as its content is.

import fs from 'node:fs';
import { PathBytes } from './fileNames.js';
import { OwnerNames } from './ownerNames.js';
import { TreeNode } from './tree.js';
import { readXattrs } from './xattrs.js';

export function entryFields(ownerNames: OwnerNames, name: string, rawName: string | undefined, abs: PathBytes, st: fs.BigIntStats, before?: TreeNode): Omit<TreeNode, 'type'> {
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const fields: Omit<TreeNode, 'type'> = { name, mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs.toString(), uid, gid };
  if (rawName !== undefined) fields.rawName = rawName;
  const user = ownerNames.user(uid);
  const group = ownerNames.group(gid);
  if (user !== undefined) fields.user = user;
  if (group !== undefined) fields.group = group;
  const xattrs = before && sameFileInode(before, st) ? before.xattrs : readXattrs(abs);
  if (xattrs) fields.xattrs = xattrs;
  return fields;
}

/** The same regular file, not changed in any way since `before` was recorded (its ctime would have moved). */
function sameFileInode(before: TreeNode, st: fs.BigIntStats): boolean {
  return before.type === 'file' && st.isFile() && before.ctimeNs === st.ctimeNs.toString() && before.inode === st.ino.toString() && before.dev === st.dev.toString();
}
