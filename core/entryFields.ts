// What every archived entry records, read from its lstat: name (and its bytes when not UTF-8),
// permission bits, mtime, owner (ids and names) and extended attributes. Backups and journal
// segments record entries the same way.

import fs from 'node:fs';
import { PathBytes } from './fileNames.js';
import { OwnerNames } from './ownerNames.js';
import { TreeNode } from './tree.js';
import { readXattrs } from './xattrs.js';

export function entryFields(ownerNames: OwnerNames, name: string, rawName: string | undefined, abs: PathBytes, st: fs.BigIntStats): Omit<TreeNode, 'type'> {
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const fields: Omit<TreeNode, 'type'> = { name, mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs.toString(), uid, gid };
  if (rawName !== undefined) fields.rawName = rawName;
  const user = ownerNames.user(uid);
  const group = ownerNames.group(gid);
  if (user !== undefined) fields.user = user;
  if (group !== undefined) fields.group = group;
  const xattrs = readXattrs(abs);
  if (xattrs) fields.xattrs = xattrs;
  return fields;
}
