// Restore salvage keeps its report small: every damaged file is counted, the first ones are listed
// (at most 50, and at most 32 KiB of paths and reasons), and none of them is left in the target.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { MAX_DAMAGED_LISTED, MAX_DAMAGED_LISTED_CHARS, restore } from '../../core/restorer';
import { LocalStorage } from '../../storage/local';
import { repositoryFiles } from '../helpers/smallRepository';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

test('with every data pack gone, all files are counted as damaged, 50 are listed, and none is left in the target', async () => {
  const dir = tempDir('salvage-repo');
  const repo = await Repository.init(new LocalStorage(dir), 'salvage', {});
  const source = tempDir('salvage-src');
  for (let i = 0; i < 60; i++) fs.writeFileSync(path.join(source, `file-${i}.bin`), pseudoRandomBytes(5000, i + 1));
  const { snapshotId } = await backup(repo, { source, type: 'full', threads: 0 });
  const dataPacks = repositoryFiles(dir, 'data').filter((f) => fs.statSync(f).size > 60 * 5000);
  expect(dataPacks).toHaveLength(1);
  fs.rmSync(dataPacks[0]!);

  const target = tempDir('salvage-dst');
  const result = await restore(repo, snapshotId, { target, threads: 0 });
  expect(result.filesDamaged).toBe(60);
  expect(result.damaged).toHaveLength(MAX_DAMAGED_LISTED);
  expect(result.damaged[0]).toEqual({ path: expect.stringMatching(/^file-\d+\.bin$/), reason: expect.stringContaining('is damaged') });
  expect(fs.readdirSync(target)).toEqual([]);
});

test('the list of damaged files is also bounded in size when their paths are long', async () => {
  const dir = tempDir('salvage-repo');
  const repo = await Repository.init(new LocalStorage(dir), 'salvage', {});
  const source = tempDir('salvage-src');
  const deep = path.join(source, ...['a', 'b', 'c', 'd'].map((c) => c.repeat(250)));
  fs.mkdirSync(deep, { recursive: true });
  for (let i = 0; i < 45; i++) fs.writeFileSync(path.join(deep, `file-${i}.bin`), pseudoRandomBytes(5000, i + 1));
  const { snapshotId } = await backup(repo, { source, type: 'full', threads: 0 });
  fs.rmSync(repositoryFiles(dir, 'data').filter((f) => fs.statSync(f).size > 45 * 5000)[0]!);

  const result = await restore(repo, snapshotId, { target: tempDir('salvage-dst'), threads: 0 });
  expect(result.filesDamaged).toBe(45);
  const listedChars = result.damaged.reduce((sum, d) => sum + d.path.length + d.reason.length, 0);
  expect(listedChars).toBeLessThanOrEqual(MAX_DAMAGED_LISTED_CHARS);
  expect(result.damaged.length).toBeGreaterThan(20);
  expect(result.damaged.length).toBeLessThan(45);
});
