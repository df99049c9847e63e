// A source tree for the journal's exclude tests: a file excluded by pattern, an excluded directory
// at the top and one below, and one kept file, under the excludes ['*.tmp', 'cache'].

import fs from 'node:fs';
import path from 'node:path';

export const EXCLUDES = ['*.tmp', 'cache'];

/** Every path `writeExcludedPaths` adds, as a watcher would report them; only 'sub' and 'sub/keep' survive EXCLUDES. */
export const PATHS_WRITTEN = ['b.tmp', 'cache', 'cache/x', 'sub', 'sub/cache', 'sub/cache/y', 'sub/keep'];

export function writeExcludedPaths(source: string): void {
  fs.writeFileSync(path.join(source, 'b.tmp'), 'scratch');
  fs.mkdirSync(path.join(source, 'cache'));
  fs.writeFileSync(path.join(source, 'cache', 'x'), 'cached');
  fs.mkdirSync(path.join(source, 'sub', 'cache'), { recursive: true });
  fs.writeFileSync(path.join(source, 'sub', 'cache', 'y'), 'cached too');
  fs.writeFileSync(path.join(source, 'sub', 'keep'), 'kept');
}
