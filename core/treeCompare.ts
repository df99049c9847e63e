// Compares two directory trees by content: regular files by size and SHA-256, symbolic links by
// target, directories by presence. A restore drill checks a restored tree against its source with
// it. Returns counts and the first few differing paths (relative), never file contents.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface TreeComparison {
  identical: boolean;
  /** Entries (files, links, directories) in the source tree. */
  entries: number;
  bytes: number;
  differences: number;
  /** The first differing relative paths, each with what differs. */
  firstDifferences: string[];
}

const DIFFERENCES_LISTED = 10;

type Entry = { kind: 'file'; size: number; hash: () => Promise<string> } | { kind: 'link'; target: string } | { kind: 'dir' } | { kind: 'other' };

export async function compareTrees(source: string, target: string, signal?: AbortSignal): Promise<TreeComparison> {
  const [left, right] = await Promise.all([walk(source), walk(target)]);
  const differing: string[] = [];
  let differences = 0;
  let bytes = 0;
  const note = (relative: string, what: string) => {
    differences++;
    if (differing.length < DIFFERENCES_LISTED) differing.push(`${relative}: ${what}`);
  };
  for (const [relative, entry] of left) {
    signal?.throwIfAborted();
    const other = right.get(relative);
    if (entry.kind === 'file') bytes += entry.size;
    if (!other) note(relative, 'missing from the target');
    else if (other.kind !== entry.kind) note(relative, `a ${entry.kind} in the source, a ${other.kind} in the target`);
    else if (entry.kind === 'link' && other.kind === 'link' && entry.target !== other.target) note(relative, 'the link targets differ');
    else if (entry.kind === 'file' && other.kind === 'file' && (entry.size !== other.size || (await entry.hash()) !== (await other.hash()))) note(relative, 'the contents differ');
  }
  for (const relative of right.keys()) if (!left.has(relative)) note(relative, 'not in the source');
  return { identical: differences === 0, entries: left.size, bytes, differences, firstDifferences: differing };
}

async function walk(root: string): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  const visit = async (directory: string): Promise<void> => {
    for (const dirent of await fs.promises.readdir(directory, { withFileTypes: true })) {
      const absolute = path.join(directory, dirent.name);
      const relative = path.relative(root, absolute);
      if (dirent.isDirectory()) {
        entries.set(relative, { kind: 'dir' });
        await visit(absolute);
      } else if (dirent.isSymbolicLink()) entries.set(relative, { kind: 'link', target: await fs.promises.readlink(absolute) });
      else if (dirent.isFile()) entries.set(relative, { kind: 'file', size: (await fs.promises.stat(absolute)).size, hash: () => fileHash(absolute) });
      else entries.set(relative, { kind: 'other' });
    }
  };
  await visit(root);
  return entries;
}

async function fileHash(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
