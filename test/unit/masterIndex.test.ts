// The master index keeps every location of a blob stored more than once (as a writer that crashed
// after storing its packs leaves it): lookups answer one, and a damaged copy is passed over for a
// good one when trees are read.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { BlobReader } from '../../core/blobReader';
import { encodeBlob } from '../../core/blobCodec';
import { IndexWriter, MasterIndex } from '../../core/masterIndex';
import { PackWriter } from '../../core/packWriter';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'correct horse battery staple';

/** A backup, then the root tree stored once more in a pack of its own, with its own index file. */
async function repositoryWithTwoCopiesOfTheRoot(): Promise<{ dir: string; repo: Repository; source: string; snapshotId: string; root: string }> {
  const dir = tempDir('repo');
  const repo = await Repository.init(new LocalStorage(dir), PASS, { packSizeMiB: 1 });
  const source = tempDir('src');
  writeTree(source, { smallFiles: 30 });
  const { snapshotId } = await backup(repo, { source, type: 'full', threads: 0 });
  const root = (await listSnapshots(repo)).find((s) => s.id === snapshotId)!.tree;
  const plain = await new BlobReader(repo, await MasterIndex.load(repo)).read(root);

  const indexWriter = new IndexWriter(repo);
  const packs = new PackWriter(repo.storage, repo.keys, repo.config.packSize, (p) => indexWriter.add(p));
  const settings = { keys: repo.keys, compression: repo.config.compression, compressionLevel: repo.config.compressionLevel };
  await packs.add(encodeBlob(settings, 'tree', plain, root));
  await packs.flush();
  await indexWriter.flush();
  return { dir, repo, source, snapshotId, root };
}

describe('master index', () => {
  it('keeps both locations of a blob stored in two packs, and answers lookups with one of them', async () => {
    const { repo, root } = await repositoryWithTwoCopiesOfTheRoot();
    const index = await MasterIndex.load(repo);
    const locations = index.locations(root);
    expect(locations).toHaveLength(2);
    expect(new Set(locations.map((l) => l.pack)).size).toBe(2);
    expect(index.get(root)).toEqual(locations[0]);
    expect(index.locations('0'.repeat(64))).toEqual([]);
    // Loading the same packs again (an index file listing packs already known) adds no location.
    for (const pack of index.packs) index.addPack({ id: pack, blobs: [] });
    expect(index.locations(root)).toHaveLength(2);
  });

  it('restores from the good copy of a tree whose first copy is damaged', async () => {
    const { dir, repo, source, snapshotId, root } = await repositoryWithTwoCopiesOfTheRoot();
    const first = (await MasterIndex.load(repo)).get(root)!;
    const file = path.join(dir, 'data', first.pack.slice(0, 2), first.pack);
    const bytes = fs.readFileSync(file);
    bytes[first.offset + 20]! ^= 0xff;
    fs.writeFileSync(file, bytes);

    const target = tempDir('dst');
    await restore(await Repository.open(repo.storage, PASS), snapshotId, { target, threads: 0 });
    expectSameTree(source, target);
  });
});
