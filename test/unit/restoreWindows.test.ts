// A restore walks the snapshot and writes its files in windows of bounded size while it walks on:
// the tree it gives is the same however small the windows (directory mtimes, set once their files
// are written, included), hard links and damage reach across windows, and it does write files
// before it has read every tree.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { restore, restoreRoot } from '../../core/restorer';
import { findSnapshot } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { repositoryFiles } from '../helpers/smallRepository';
import { expectSameTree, pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PAST = new Date('2020-01-02T03:04:05.678Z');

/** A tree of 62 small files in nested directories, a hard-link pair of 200,000 bytes at its two ends, and every directory's mtime in the past. */
async function windowedSource(): Promise<{ repo: Repository; repoDir: string; source: string; snapshotId: string }> {
  const repoDir = tempDir('windows-repo');
  const repo = await Repository.init(new LocalStorage(repoDir), 'windows', {});
  const source = tempDir('windows-src');
  writeTree(source, { smallFiles: 60 });
  fs.mkdirSync(path.join(source, 'a-first'));
  fs.writeFileSync(path.join(source, 'a-first', 'linked'), pseudoRandomBytes(200_000, 7));
  fs.linkSync(path.join(source, 'a-first', 'linked'), path.join(source, 'tiles', 'z6', 'x6', 'linked-late'));
  const dirs = (dir: string): string[] => [dir, ...fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? dirs(path.join(dir, e.name)) : []))];
  for (const dir of dirs(source).reverse()) fs.utimesSync(dir, PAST, PAST);
  const { snapshotId } = await backup(repo, { source, type: 'full', threads: 0 });
  return { repo, repoDir, source, snapshotId };
}

test.each([0, 2])('windows of 3 files restore the same tree as one window, directory mtimes and hard links included (%i threads)', async (threads) => {
  const { repo, source, snapshotId } = await windowedSource();
  const target = tempDir('windows-dst');
  const result = await restore(repo, snapshotId, { target, threads, windowFiles: 3 });
  expectSameTree(source, target);
  expect(result).toMatchObject({ files: 64, hardLinks: 1, filesDamaged: 0 });
  expect(fs.statSync(path.join(target, 'tiles', 'z6', 'x6', 'linked-late')).ino).toBe(fs.statSync(path.join(target, 'a-first', 'linked')).ino);
});

test('a hard link whose first file, in an earlier window, is damaged is reported damaged too', async () => {
  const { repo, repoDir, snapshotId } = await windowedSource();
  // The pack of the linked file's 200,000 bytes (the trees' packs are far smaller).
  for (const pack of repositoryFiles(repoDir, 'data').filter((f) => fs.statSync(f).size > 150_000)) fs.rmSync(pack);
  const target = tempDir('windows-dst');
  const result = await restore(repo, snapshotId, { target, threads: 0, windowFiles: 1, includes: ['a-first', 'tiles/z6/x6'] });
  const damagedPaths = result.damaged.map((d) => d.path);
  expect(damagedPaths).toEqual(expect.arrayContaining(['a-first/linked', 'tiles/z6/x6/linked-late']));
  expect(result.hardLinks).toBe(0);
  expect(fs.existsSync(path.join(target, 'tiles', 'z6', 'x6', 'linked-late'))).toBe(false);
});

test('files are written while the walk still reads trees: the plan is never the whole snapshot', async () => {
  const { repo, snapshotId } = await windowedSource();
  const { tree } = await findSnapshot(repo, snapshotId);
  const target = tempDir('windows-dst');
  // Every tree read goes through this map first (it holds none): it counts the files already in the target at each read.
  const filesAtEachRead: number[] = [];
  const countFiles = (dir: string): number => fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(path.join(dir, e.name)) : e.isFile() ? 1 : 0), 0);
  const spy = new Map();
  spy.get = () => {
    filesAtEachRead.push(fs.existsSync(target) ? countFiles(target) : 0);
    return undefined;
  };
  const result = await restoreRoot(repo, async () => ({ snapshotId, tree, trees: spy }), { target, threads: 0, windowFiles: 2 });
  expect(result.files).toBe(64);
  expect(Math.max(...filesAtEachRead)).toBeGreaterThan(0);
  expect(Math.max(...filesAtEachRead)).toBeLessThan(64);
});
