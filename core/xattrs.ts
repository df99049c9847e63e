// Extended attributes of one entry, read and written on the entry itself (a symlink is not
// followed: @napi-rs/xattr uses the l*xattr calls). Listing first, so an entry without
// attributes costs one system call. @napi-rs/xattr takes paths as strings only: an entry whose
// path is not valid UTF-8 (given as bytes) has its attributes neither recorded nor restored.

import { getAttributeSync, listAttributesSync, setAttributeSync } from '@napi-rs/xattr';
import { PathBytes } from './fileNames.js';
import { TreeNode } from './tree.js';

export type Xattrs = NonNullable<TreeNode['xattrs']>;

/** The entry's attributes, or undefined when it has none or they cannot be listed (no support, no access). */
export function readXattrs(abs: PathBytes): Xattrs | undefined {
  if (typeof abs !== 'string') return undefined;
  let names: string[];
  try {
    names = listAttributesSync(abs);
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const out: Xattrs = [];
  for (const name of names.sort()) {
    try {
      const value = getAttributeSync(abs, name);
      if (value) out.push({ name, value: value.toString('base64') });
    } catch {
      // Gone since the listing, or not readable by this user (trusted.* as non-root): not recorded.
    }
  }
  return out.length > 0 ? out : undefined;
}

/**
 * Sets each attribute. One the target cannot hold (a filesystem without support, a namespace this
 * user may not write, such as trusted.* or security.* as non-root) is skipped without a word.
 */
export function writeXattrs(abs: PathBytes, xattrs: Xattrs): void {
  if (typeof abs !== 'string') return;
  for (const { name, value } of xattrs) {
    try {
      setAttributeSync(abs, name, Buffer.from(value, 'base64'));
    } catch {
      // Skipped, as documented.
    }
  }
}
