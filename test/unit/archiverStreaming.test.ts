// The archiver walks depth-first in bounded memory and keeps the event loop turning: directories
// are listed when entered and stored when done (few open at once, however many there are), and a
// huge directory's walk lets timers (Temporal heartbeats) run every few hundred entries.

import fs from 'node:fs';
import path from 'node:path';
import { backup, BackupProgress } from '../../core/archiver';
import { BlobStore } from '../../core/blobStore';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { MemoryStorage } from '../../storage/memory';
import { expectSameTree, tempDir } from '../helpers/trees';

afterEach(() => jest.restoreAllMocks());

/** A tree of `top` directories of 10 subdirectories, each holding two small files. */
function wideTree(top: number): string {
  const root = tempDir('streaming-src');
  for (let t = 0; t < top; t++) {
    for (let s = 0; s < 10; s++) {
      const dir = path.join(root, `t${t}`, `s${s}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'a.json'), `{"t":${t},"s":${s}}`);
      fs.writeFileSync(path.join(dir, 'b.json'), `{"s":${s},"t":${t}}`);
    }
  }
  return root;
}

/**
 * The most directories open at once during a backup: listed (entered) and their tree not yet
 * stored. Watched from outside the archiver, through the calls that open and close a directory.
 */
async function maxOpenDirectories(repo: Repository, source: string, threads: number): Promise<number> {
  let open = 0;
  let max = 0;
  const readdir = fs.readdirSync.bind(fs);
  jest.spyOn(fs, 'readdirSync').mockImplementation(((...args: Parameters<typeof fs.readdirSync>) => {
    max = Math.max(max, ++open);
    return readdir(...args);
  }) as typeof fs.readdirSync);
  const storeTree = BlobStore.prototype.storeTree;
  jest.spyOn(BlobStore.prototype, 'storeTree').mockImplementation(function (this: BlobStore, bytes: Uint8Array) {
    open -= 1;
    return storeTree.call(this, bytes);
  });
  await backup(repo, { source, type: 'full', threads });
  jest.restoreAllMocks();
  return max;
}

test.each([0, 2])('directories open at once stay few, however many directories there are (threads: %i)', async (threads) => {
  const counts: number[] = [];
  for (const top of [20, 60]) {
    const repo = await Repository.init(new MemoryStorage(), 'streaming passphrase');
    counts.push(await maxOpenDirectories(repo, wideTree(top), threads));
  }
  // 221 and 661 directories: the walk holds its path (3 deep) plus those whose last batches are
  // still encoding (at most 2 × threads + 2 batches), not the whole tree.
  const bound = 3 + 2 * (2 * threads + 2) + 2;
  expect(counts[0]).toBeLessThanOrEqual(bound);
  expect(counts[1]).toBeLessThanOrEqual(bound);
});

test('the event loop turns every few hundred entries while one large directory is walked', async () => {
  const source = tempDir('streaming-flat');
  for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(source, `f${i}.pbf`), '');
  const repo = await Repository.init(new MemoryStorage(), 'streaming passphrase');
  let found = 0;
  const atTurns: number[] = [];
  let running = true;
  const watch = () => {
    atTurns.push(found);
    if (running) setImmediate(watch);
  };
  setImmediate(watch);
  try {
    await backup(repo, { source, type: 'full', threads: 0, onProgress: (p: BackupProgress) => void (found = p.filesFound) });
  } finally {
    running = false;
  }
  expect(found).toBe(20_000);
  atTurns.push(found);
  const steps = atTurns.slice(1).map((n, i) => n - atTurns[i]!);
  // 256 entries between turns, plus at most one batch (64 files) found while a batch waits.
  expect(Math.max(...steps)).toBeLessThanOrEqual(256 + 64);
  expect(atTurns.filter((n) => n > 0 && n < 20_000).length).toBeGreaterThan(20);
});

test('a streamed backup of a deep and wide tree restores identically, and again from a nothing-changed incremental', async () => {
  const source = wideTree(12);
  fs.mkdirSync(path.join(source, 'deep', 'a', 'b', 'c', 'd'), { recursive: true });
  fs.writeFileSync(path.join(source, 'deep', 'a', 'b', 'c', 'd', 'leaf.pbf'), 'leaf');
  fs.mkdirSync(path.join(source, 'empty'));
  const repo = await Repository.init(new MemoryStorage(), 'streaming passphrase');
  const first = await backup(repo, { source, type: 'full', threads: 2 });
  const second = await backup(repo, { source, type: 'incremental', threads: 2 });
  expect(second.stats.filesUnmodified).toBe(first.stats.files);
  expect(second.stats.dirs).toBe(first.stats.dirs);
  for (const snapshot of [first.snapshotId, second.snapshotId]) {
    const target = tempDir('streaming-restore');
    await restore(repo, snapshot, { target });
    expectSameTree(source, target);
  }
});
