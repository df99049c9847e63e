// What every archived entry records, read from its lstat: name (and its bytes when not UTF-8),
// permission bits, mtime, owner (ids and names) and extended attributes. Backups and journal
// segments record entries the same way. Extended attributes cost a system call per entry, so
// they are taken from the previous snapshot's entry for a file whose inode and ctime have not
// changed (setting or removing an attribute changes the ctime), as its content is.

import { EntryStat, entryKind } from './entryStats.js';
import { PathBytes } from './fileNames.js';
import { OwnerNames } from './ownerNames.js';
import { TreeNode } from './tree.js';
import { readXattrs } from './xattrs.js';

export function entryFields(ownerNames: OwnerNames, name: string, rawName: string | undefined, abs: PathBytes, st: EntryStat, before?: TreeNode): Omit<TreeNode, 'type'> {
  const { uid, gid } = st;
  const fields: Omit<TreeNode, 'type'> = { name, mode: st.mode & 0o7777, mtimeNs: st.mtimeNs, uid, gid };
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
function sameFileInode(before: TreeNode, st: EntryStat): boolean {
  return before.type === 'file' && entryKind(st) === 'file' && before.ctimeNs === st.ctimeNs && before.inode === st.ino && before.dev === st.dev;
}
