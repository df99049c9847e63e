// What an encrypted repository's stored bytes give away: every file under config, keys, data,
// index and snapshots is scanned for the backed-up file names, file contents, source path, tags
// and exclude patterns. None may appear (compression off, so only sealing can hide them).

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { tempDir } from '../helpers/trees';

const PASS = 'correct horse battery staple';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

it.each([0, 2])('an encrypted repository stores no plaintext name, content, source path or tag (%i encoder threads)', async (threads) => {
  const dir = tempDir('repo');
  const repo = await Repository.init(new LocalStorage(dir), PASS, { compression: 'none' });
  const source = path.join(tempDir('src'), 'survey-of-zanzibar-harbour');
  const contents = ['PLAINTEXT-CONTENT-of-the-first-file '.repeat(40), 'second file: bathymetry 12.5 m, the quick brown fox'];
  fs.mkdirSync(path.join(source, 'subfolder-kilimanjaro'), { recursive: true });
  fs.writeFileSync(path.join(source, 'secret-harbour-plan.txt'), contents[0]!);
  fs.writeFileSync(path.join(source, 'subfolder-kilimanjaro', 'depths-bathymetry.csv'), contents[1]!);
  fs.symlinkSync('target-of-a-symlink-mombasa', path.join(source, 'link-to-mombasa'));
  await backup(repo, { source, type: 'full', tags: ['tag-classified-dar-es-salaam'], excludes: ['*.exclude-pattern-tanga'], threads });

  const needles = [
    source,
    'survey-of-zanzibar-harbour',
    'secret-harbour-plan.txt',
    'subfolder-kilimanjaro',
    'depths-bathymetry.csv',
    'link-to-mombasa',
    'target-of-a-symlink-mombasa',
    'tag-classified-dar-es-salaam',
    'exclude-pattern-tanga',
    'PLAINTEXT-CONTENT',
    'bathymetry 12.5 m',
  ];
  const stored = filesUnder(dir);
  // Every kind of repository file is there to be scanned.
  for (const folder of ['keys', 'data', 'index', 'snapshots']) expect(stored.some((f) => path.relative(dir, f).startsWith(`${folder}${path.sep}`))).toBe(true);
  expect(stored).toContain(path.join(dir, 'config'));
  const found = stored.flatMap((file) => {
    const bytes = fs.readFileSync(file);
    return needles.filter((needle) => bytes.includes(Buffer.from(needle))).map((needle) => `${path.relative(dir, file)}: ${needle}`);
  });
  expect(found).toEqual([]);
});
