// The ransomware judgement on made-up stats: too short a history judges nothing, one sign alone
// (a surge of changes, a batch of renames, incompressible data) is normal work, two at once are
// suspected, and the history's own highs raise the bar. And the archiver's count of files renamed
// with a new extension, for both forms (`a.png.locked`, `a.locked`) and not for a new file beside
// the old one.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { judgeChanges } from '../../core/changeAnomaly';
import { Repository } from '../../core/repository';
import type { SnapshotStats } from '../../core/snapshots';
import { MemoryStorage } from '../../storage/memory';
import { tempDir } from '../helpers/trees';

/** A backup of 1,000 files: `changed` of them new or changed, `renamed` renamed, new data stored at `ratio` of its size. */
function stats(changed: number, renamed = 0, ratio = 0.3, added = 10 << 20): SnapshotStats {
  return { files: 1000, dirs: 1, bytes: 1 << 30, filesNew: changed, filesChanged: 0, filesUnmodified: 1000 - changed, bytesRead: added, bytesAdded: added, bytesStored: Math.round(added * ratio), filesRenamedExtension: renamed };
}

const normalWeek = [stats(20), stats(15), stats(25), stats(10)];

test('too short a history judges nothing', () => {
  expect(judgeChanges(stats(900, 900, 1), normalWeek.slice(0, 2))).toBeUndefined();
});

test.each([
  ['a surge of changes alone', stats(600)],
  ['renames alone', stats(20, 300)],
  ['incompressible data alone', stats(20, 0, 1)],
])('%s is normal work', (_, now) => {
  expect(judgeChanges(now, normalWeek)).toBeUndefined();
});

test('two signs at once are suspected, each with its reason', () => {
  expect(judgeChanges(stats(600, 0, 1), normalWeek)?.reasons).toEqual(['60% of files new or changed (at most 3% in the 4 backups before)', 'new data does not compress (stored at 100% of its size; 30% usually)']);
  expect(judgeChanges(stats(60, 300, 1), normalWeek)?.reasons).toHaveLength(2);
});

test("the history's highs raise the bar: a source that often changes much, or never compresses, is judged by its own standard", () => {
  const busy = [stats(300), stats(250), stats(200)];
  expect(judgeChanges(stats(600, 0, 1), busy)).toBeUndefined();
  const rasters = [stats(20, 0, 0.99), stats(15, 0, 1), stats(25, 0, 0.98)];
  expect(judgeChanges(stats(600, 0, 1), rasters)).toBeUndefined();
  expect(judgeChanges(stats(600, 600, 1), rasters)?.reasons).toHaveLength(2);
});

test('the archiver counts files renamed with a new extension, in both forms, and not a new file beside its old one', async () => {
  const repo = await Repository.init(new MemoryStorage(), 'renames', {});
  const source = tempDir('renamed');
  for (const name of ['a.png', 'b.png', 'c.png', 'd.png', 'e']) fs.writeFileSync(path.join(source, name), name);
  await backup(repo, { source, type: 'incremental', threads: 0 });
  fs.renameSync(path.join(source, 'a.png'), path.join(source, 'a.png.locked'));
  fs.renameSync(path.join(source, 'b.png'), path.join(source, 'b.locked'));
  fs.renameSync(path.join(source, 'e'), path.join(source, 'e.crypt'));
  fs.writeFileSync(path.join(source, 'c.png.bak'), 'a new file beside c.png, which stays');
  const second = await backup(repo, { source, type: 'incremental', threads: 0 });
  expect(second.stats).toMatchObject({ filesNew: 4, filesRenamedExtension: 3 });
});
