// `repair index` and `repair snapshots` on real damaged repositories: a truncated index file
// stops being a problem once the index is rebuilt from the pack headers, and a lost pack leaves
// snapshots that, once repaired, verify clean and restore everything that was not lost.

import fs from 'node:fs';
import path from 'node:path';
import { BlobReader } from '../../core/blobReader';
import { verify } from '../../core/checker';
import { MasterIndex } from '../../core/masterIndex';
import { REPAIRED_TAG, repairIndex, repairSnapshots } from '../../core/repair';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { buildSmallRepository, copyRepository, repositoryFiles, SMALL_REPO_PASSPHRASE, SmallRepository } from '../helpers/smallRepository';
import { describeTree, expectSameTree, tempDir } from '../helpers/trees';

let built: SmallRepository;
beforeAll(async () => {
  built = await buildSmallRepository();
});

const open = (dir: string) => Repository.open(new LocalStorage(dir), SMALL_REPO_PASSPHRASE);

describe('repair index', () => {
  it('after a truncated index file, every snapshot restores exactly again', async () => {
    const dir = copyRepository(built);
    const indexFiles = repositoryFiles(dir, 'index');
    for (const file of indexFiles) fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    const damaged = await open(dir);
    for (const id of built.sources.keys()) {
      const before = await restore(damaged, id, { target: tempDir('before'), threads: 0 });
      expect(before.filesDamaged).toBeGreaterThan(0);
    }

    const result = await repairIndex(await open(dir));
    const packs = repositoryFiles(dir, 'data').length;
    expect(result).toMatchObject({ packsRead: packs, packsUnreadable: 0, unreadable: [], indexFilesRemoved: indexFiles.length });
    expect(result.blobsIndexed).toBeGreaterThan(packs);
    expect(repositoryFiles(dir, 'index').some((f) => indexFiles.includes(f))).toBe(false);

    const repaired = await open(dir);
    expect((await MasterIndex.load(repaired)).size).toBe(result.blobsIndexed);
    expect((await verify(repaired, { level: 'standard' })).problems).toEqual([]);
    for (const [id, source] of built.sources) {
      const target = tempDir('after');
      expect(await restore(repaired, id, { target, threads: 0 })).toMatchObject({ filesDamaged: 0 });
      expectSameTree(source, target);
    }
  });

  it('reports a zero-byte pack as unreadable and indexes every other pack', async () => {
    const dir = copyRepository(built);
    const [victim] = repositoryFiles(dir, 'data');
    fs.truncateSync(victim!, 0);
    const result = await repairIndex(await open(dir));
    expect(result.packsUnreadable).toBe(1);
    expect(result.unreadable).toEqual([{ pack: path.basename(victim!), reason: expect.stringContaining('too short') }]);
    expect(result.packsRead).toBe(repositoryFiles(dir, 'data').length - 1);
  });
});

describe('repair snapshots', () => {
  it('after a lost data pack: snapshots are rewritten without the lost chunks, tagged, verify clean, and restore everything else exactly', async () => {
    const dir = copyRepository(built);
    const repo = await open(dir);
    const index = await MasterIndex.load(repo);
    const dataPack = [...index.entries()].find(([, loc]) => loc.type === 'data' && loc.length > 50_000)![1].pack;
    const lost = new Set([...index.entries()].filter(([, loc]) => loc.pack === dataPack).map(([id]) => id));
    fs.rmSync(repositoryFiles(dir, 'data').find((f) => path.basename(f) === dataPack)!);

    await repairIndex(await open(dir));
    const result = await repairSnapshots(await open(dir));
    expect(result.snapshotsChecked).toBe(built.sources.size);
    expect(result.snapshotsRepaired).toBeGreaterThan(0);
    expect(result.filesTrimmed).toBeGreaterThan(0);

    const repaired = await open(dir);
    expect((await verify(repaired, { level: 'deep' })).problems).toEqual([]);
    const snapshots = await listSnapshots(repaired);
    expect(snapshots).toHaveLength(built.sources.size);
    const replacements = new Map(result.repaired.map((r) => [r.replacement, r.original]));
    for (const snap of snapshots) {
      const original = replacements.get(snap.id) ?? snap.id;
      expect(snap.tags.includes(REPAIRED_TAG)).toBe(replacements.has(snap.id));
      const target = tempDir('repaired');
      expect(await restore(repaired, snap.id, { target, threads: 0 })).toMatchObject({ filesDamaged: 0 });
      // Every file restores exactly except those that lost chunks, which are shorter.
      const expected = describeTree(built.sources.get(original)!);
      const actual = describeTree(target);
      const trimmed = [...expected].filter(([rel, facts]) => facts.type === 'file' && actual.get(rel)?.size !== facts.size).map(([rel]) => rel);
      expect(trimmed.length > 0).toBe(replacements.has(snap.id));
      for (const rel of trimmed) {
        expect(actual.get(rel)!.size).toBeLessThan(expected.get(rel)!.size!);
        expected.delete(rel);
        actual.delete(rel);
      }
      expect([...actual.keys()]).toEqual([...expected.keys()]);
    }
    expect(lost.size).toBeGreaterThan(0);
  });

  it('an unreadable tree becomes an empty directory in the repaired snapshot', async () => {
    const dir = copyRepository(built);
    const repo = await open(dir);
    const index = await MasterIndex.load(repo);
    // The tree of tiles/z0 in the first snapshot.
    const reader = new BlobReader(repo, index);
    const [first] = await listSnapshots(repo);
    const tiles = (await reader.tree(first!.tree)).nodes.find((n) => n.name === 'tiles')!.subtree!;
    const z0 = (await reader.tree(tiles)).nodes.find((n) => n.name === 'z0')!.subtree!;
    const tree = index.get(z0)!;
    const file = repositoryFiles(dir, 'data').find((f) => path.basename(f) === tree.pack)!;
    const bytes = fs.readFileSync(file);
    bytes[tree.offset + Math.floor(tree.length / 2)]! ^= 0x55;
    fs.writeFileSync(file, bytes);
    expect((await verify(repo, { level: 'quick' })).problems.some((p) => p.kind === 'damaged-tree')).toBe(true);

    const result = await repairSnapshots(await open(dir));
    expect(result.dirsEmptied).toBe(1);
    expect(result.snapshotsRepaired).toBeGreaterThan(0);
    const repaired = await open(dir);
    expect((await verify(repaired, { level: 'quick' })).problems).toEqual([]);
    const target = tempDir('emptied');
    const replacement = result.repaired.find((r) => r.original === first!.id)!.replacement;
    await restore(repaired, replacement, { target, threads: 0 });
    expect(fs.readdirSync(path.join(target, 'tiles', 'z0'))).toEqual([]);
    expect(fs.readdirSync(path.join(target, 'tiles', 'z1')).length).toBeGreaterThan(0);
  });
});
