// Unchanged-file detection in incremental backups on real files: size, mtime and inode are not
// enough (a rewrite can keep all three); the status-change time is compared too, as restic does.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { LocalStorage } from '../../storage/local';
import { tempDir } from '../helpers/trees';

test('a file rewritten in place with the same size and its mtime reset is read again', async () => {
  const repo = await Repository.init(new LocalStorage(tempDir('repo')), 'correct horse battery staple');
  const source = tempDir('src');
  const file = path.join(source, 'layer.gpkg');
  const past = new Date('2024-05-06T07:08:09.123Z');
  fs.writeFileSync(file, Buffer.alloc(4096, 'a'));
  fs.utimesSync(file, past, past);
  fs.writeFileSync(path.join(source, 'untouched.txt'), 'same');
  await backup(repo, { source, type: 'full', threads: 0 });

  const before = fs.statSync(file, { bigint: true });
  await sleep(20); // past the kernel's timestamp granularity, so the rewrite gets a new ctime
  fs.writeFileSync(file, Buffer.alloc(4096, 'b'));
  fs.utimesSync(file, past, past);
  const after = fs.statSync(file, { bigint: true });
  expect({ size: after.size, mtime: after.mtimeNs, inode: after.ino }).toEqual({ size: before.size, mtime: before.mtimeNs, inode: before.ino });

  const second = await backup(repo, { source, type: 'incremental', threads: 0 });
  expect(second.stats).toMatchObject({ filesChanged: 1, filesUnmodified: 1, bytesRead: 4096 });
  const target = tempDir('dst');
  await restore(repo, second.snapshotId, { target });
  expect(fs.readFileSync(path.join(target, 'layer.gpkg'))).toEqual(Buffer.alloc(4096, 'b'));
});
