// The stale-build guard of the unit project (test/setup/distFreshness.ts) on a made-up project:
// a source newer than its build, a missing build and a stale workflow bundle are each named.

import fs from 'node:fs';
import path from 'node:path';
import { assertBuildFresh, staleBuilds } from '../setup/distFreshness';
import { tempDir } from '../helpers/trees';

function write(root: string, rel: string, secondsAgo: number): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '// x\n');
  const at = Date.now() / 1000 - secondsAgo;
  fs.utimesSync(file, at, at);
}

test('a build newer than every source is fresh; an older or missing one is named', () => {
  const root = tempDir('project');
  write(root, 'core/chunker.ts', 100);
  write(root, 'dist/core/chunker.js', 50);
  write(root, 'workflows/backup.ts', 100);
  write(root, 'dist/workflows/backup.js', 50);
  write(root, 'dist/workflow-bundle.js', 40);
  write(root, 'test/unit/ignored.test.ts', 0);
  expect(staleBuilds(root)).toEqual([]);
  expect(() => assertBuildFresh(root)).not.toThrow();

  write(root, 'core/chunker.ts', 10);
  write(root, 'cli/main.ts', 100);
  expect(staleBuilds(root).sort()).toEqual([path.join('cli', 'main.ts'), path.join('core', 'chunker.ts')]);
  write(root, 'workflows/backup.ts', 30);
  write(root, 'dist/workflows/backup.js', 20);
  expect(staleBuilds(root)).toContain(path.join('dist', 'workflow-bundle.js'));
  expect(staleBuilds(root)).not.toContain(path.join('workflows', 'backup.ts'));
  expect(() => assertBuildFresh(root)).toThrow(/^dist\/ is older than the sources \(.*\): run `npm run build` first$/);
});

test('this project\'s own build is fresh (the unit project\'s global setup refuses to run otherwise)', () => {
  expect(staleBuilds(path.resolve(__dirname, '..', '..'))).toEqual([]);
});
