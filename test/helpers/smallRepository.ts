// A small encrypted repository on disk for damage tests: three snapshots of a changing tree
// (each kept as its own source folder, to compare restores with), small chunks and 1 MiB packs,
// so that files, trees and snapshots spread over several packs and index files.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { pseudoRandomBytes, tempDir, writeTree } from './trees';

export const SMALL_REPO_PASSPHRASE = 'damage tests';

export interface SmallRepository {
  dir: string;
  /** Snapshot id → the source folder as it was backed up. */
  sources: Map<string, string>;
}

export async function buildSmallRepository(): Promise<SmallRepository> {
  const dir = tempDir('damage-repo');
  const repo = await Repository.init(new LocalStorage(dir), SMALL_REPO_PASSPHRASE, {
    chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 },
    packSizeMiB: 1,
  });
  const sources = new Map<string, string>();
  for (let round = 0; round < 3; round++) {
    // Each round is the same tree (same content, deduplicated) plus the files of the rounds so far.
    const source = tempDir(`damage-src${round}`);
    writeTree(source, { smallFiles: 24, largeFiles: [900_000, 400_000] });
    for (let earlier = 0; earlier <= round; earlier++) {
      fs.writeFileSync(path.join(source, `round-${earlier}.bin`), pseudoRandomBytes(300_000 + earlier * 50_000, 77 + earlier));
      fs.mkdirSync(path.join(source, 'tiles', `r${earlier}`), { recursive: true });
      fs.writeFileSync(path.join(source, 'tiles', `r${earlier}`, 'note.txt'), `round ${earlier}\n`);
    }
    const result = await backup(repo, { source, type: round === 0 ? 'full' : 'incremental', threads: 0 });
    sources.set(result.snapshotId, source);
  }
  return { dir, sources };
}

/** A fresh copy of a built repository, to damage. */
export function copyRepository(built: SmallRepository): string {
  const copy = tempDir('damage-copy');
  fs.cpSync(built.dir, copy, { recursive: true });
  return copy;
}

/** Every file of a repository folder of one type (data packs, index files…), sorted by name. */
export function repositoryFiles(dir: string, type: 'data' | 'index' | 'snapshots' | 'keys'): string[] {
  const root = path.join(dir, type);
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of fs.readdirSync(at).sort()) {
      const abs = path.join(at, name);
      if (fs.statSync(abs).isDirectory()) walk(abs);
      else out.push(abs);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out;
}
