// Backup progress moves inside a large file: the encoder threads report what they have read as
// they read it, so Temporal UI and the CLI show bytes and a rate during a single 48 MiB raster
// (or a reread of known data) rather than nothing until the file is done.

import fs from 'node:fs';
import path from 'node:path';
import { backup, BackupProgress } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const SIZE = 48 * 1024 * 1024;

test.each([
  ['new data', (file: string) => fs.writeFileSync(file, pseudoRandomBytes(SIZE, 11))],
  ['zeros whose chunks are all known after the first', (file: string) => (fs.writeFileSync(file, ''), fs.truncateSync(file, SIZE))],
])('bytes read are reported while one large file is read (%s), never going backwards', async (_label, write) => {
  const repo = await Repository.init(new LocalStorage(tempDir('progress-repo')), 'progress passphrase', { packSizeMiB: 4 });
  const source = tempDir('progress-src');
  write(path.join(source, 'raster.tif'));
  const reports: BackupProgress[] = [];
  const result = await backup(repo, { source, type: 'full', threads: 2, onProgress: (p) => reports.push(p) });
  expect(result.stats.bytesRead).toBe(SIZE);
  const read = reports.map((p) => p.bytesRead);
  expect(read.filter((n) => n > 0 && n < SIZE).length).toBeGreaterThanOrEqual(2);
  expect(read).toEqual([...read].sort((a, b) => a - b));
  expect(reports.every((p) => p.bytesDone <= p.bytesFound || p.bytesFound === 0)).toBe(true);
  expect(read[read.length - 1]).toBe(SIZE);
});
