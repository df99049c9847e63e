// Refuses to test a stale build. Under jest the engine's threads run from dist/ (see
// core/threadScript.ts) and CLI tests spawn dist/cli: built from older sources, they would test
// code that is no longer there while the TypeScript under test looks right.

import fs from 'node:fs';
import path from 'node:path';

/** The folders tsc builds into dist/ that code run from dist/ comes from (tests run from sources). */
const BUILT_FOLDERS = ['storage', 'core', 'activities', 'workflows', 'worker', 'api', 'cli', 'bench', 'scripts'];

function sourcesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Sources under `root` whose build in `root`/dist is missing or older than they are, relative to `root`. */
export function staleBuilds(root: string): string[] {
  const stale: string[] = [];
  const mtime = (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  for (const source of BUILT_FOLDERS.flatMap((folder) => sourcesUnder(path.join(root, folder)))) {
    const rel = path.relative(root, source);
    const built = path.join(root, 'dist', rel.replace(/\.ts$/, '.js'));
    if (mtime(built) < mtime(source)) stale.push(rel);
  }
  // The workflow bundle is made from workflows/ after tsc.
  const bundle = mtime(path.join(root, 'dist', 'workflow-bundle.js'));
  for (const source of sourcesUnder(path.join(root, 'workflows'))) {
    if (bundle < mtime(source)) stale.push(path.relative(root, path.join(root, 'dist', 'workflow-bundle.js')));
  }
  return [...new Set(stale)];
}

export function assertBuildFresh(root: string): void {
  const stale = staleBuilds(root);
  if (stale.length === 0) return;
  const named = stale.slice(0, 3).join(', ') + (stale.length > 3 ? ` and ${stale.length - 3} more` : '');
  throw new Error(`dist/ is older than the sources (${named}): run \`npm run build\` first`);
}
