// MERIDIAN_HOME belongs to its user alone: it holds the embedded Temporal server's database (the
// history of every operation: repository URLs, paths, snapshot ids, errors) and its log. The
// folder is created 0700 and files in it 0600; a folder or file found with group or other
// permissions is tightened (when it belongs to this user), not merely warned about.

import { chmodSync, mkdirSync, statSync } from 'node:fs';

/** Creates `dir` (and missing parents) 0700, or tightens it when it exists. */
export function ensurePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  makePrivate(dir);
}

/** Takes group and other permissions away from an existing file or folder of this user. */
export function makePrivate(file: string): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return; // not there (yet): whoever creates it creates it private
  }
  if ((stat.mode & 0o077) === 0 || stat.uid !== process.getuid?.()) return;
  chmodSync(file, stat.mode & 0o700);
}

/** Runs `start` (which spawns a process) with umask 077, so that every file the child creates is private. */
export function withPrivateUmask<T>(start: () => T): T {
  const previous = process.umask(0o077);
  try {
    return start();
  } finally {
    process.umask(previous);
  }
}
