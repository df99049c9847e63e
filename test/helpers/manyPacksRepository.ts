// A repository with many small packs, for the tests of pack subsets and the scrub: each of its
// backups adds one new incompressible file to the source folder, so each writes at least one
// new pack (its data) besides its trees, and packs spread evenly over any subset split.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { pseudoRandomBytes, tempDir } from './trees';

export const MANY_PACKS_PASSPHRASE = 'scrub tests';

export interface ManyPacksRepository {
  dir: string;
  source: string;
  snapshots: string[];
}

export async function buildManyPacksRepository(backups: number, dir = tempDir('scrub-repo')): Promise<ManyPacksRepository> {
  const repo = await Repository.init(new LocalStorage(dir), MANY_PACKS_PASSPHRASE, { chunker: { min: 4 * 1024, avg: 16 * 1024, max: 64 * 1024 } });
  const source = tempDir('scrub-src');
  const snapshots: string[] = [];
  for (let round = 0; round < backups; round++) {
    fs.mkdirSync(path.join(source, `day-${round % 4}`), { recursive: true });
    fs.writeFileSync(path.join(source, `day-${round % 4}`, `tile-${round}.bin`), pseudoRandomBytes(20_000 + round * 1_000, 1000 + round));
    snapshots.push((await backup(repo, { source, type: 'incremental', threads: 0 })).snapshotId);
  }
  await repo.storage.close();
  return { dir, source, snapshots };
}

/** The names of a repository folder's packs, sorted. */
export function packNames(dir: string): string[] {
  const names: string[] = [];
  const root = path.join(dir, 'data');
  for (const sub of fs.readdirSync(root)) {
    const at = path.join(root, sub);
    if (fs.statSync(at).isDirectory()) names.push(...fs.readdirSync(at));
    else names.push(sub);
  }
  return names.sort();
}

/** The path of a pack in a local repository folder. */
export function packPath(dir: string, pack: string): string {
  const nested = path.join(dir, 'data', pack.slice(0, 2), pack);
  return fs.existsSync(nested) ? nested : path.join(dir, 'data', pack);
}
