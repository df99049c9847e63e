// The repository engine on real files, without Temporal: backup/restore round trips, incremental
// and differential backups, verify finding damage, keys, and restore refusing unsafe entries.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { encodeBlob } from '../../core/blobCodec';
import { verify } from '../../core/checker';
import { RepositoryError } from '../../core/errors';
import { IndexWriter, MasterIndex } from '../../core/masterIndex';
import { PackWriter } from '../../core/packWriter';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots, saveSnapshot } from '../../core/snapshots';
import { encodeTree, TreeNode } from '../../core/tree';
import { LocalStorage } from '../../storage/local';
import { describeTree, expectSameTree, pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASS = 'correct horse battery staple';
const smallChunks = { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 };

async function newRepo(options = smallChunks): Promise<{ repo: Repository; dir: string }> {
  const dir = tempDir('repo');
  return { repo: await Repository.init(new LocalStorage(dir), PASS, options), dir };
}

describe('backup and restore', () => {
  test('a restored snapshot is identical: content, modes, mtimes, symlinks, empty files and dirs', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 300, largeFiles: [3_000_000, 700_000] });
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    expect(result.type).toBe('full');
    expect(result.stats.filesNew).toBe(result.stats.files);
    const target = tempDir('dst');
    const restored = await restore(await Repository.open(repo.storage, PASS), result.snapshotId, { target });
    expect(restored.files).toBe(result.stats.files);
    expectSameTree(source, target);
  });

  test('files sharing blobs, a read-only file and a file over several packs restore exactly, threaded and inline', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 40, largeFiles: [2_500_000] });
    fs.copyFileSync(path.join(source, 'large-0.bin'), path.join(source, 'copy-of-large.bin'));
    fs.writeFileSync(path.join(source, 'read-only.json'), '{"locked":true}');
    fs.chmodSync(path.join(source, 'read-only.json'), 0o444);
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    for (const threads of [0, 2]) {
      const target = tempDir('dst');
      await restore(repo, result.snapshotId, { target, threads });
      expectSameTree(source, target);
    }
  });

  test('an incremental backup reads only changed files, and both snapshots restore exactly', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 100, largeFiles: [2_000_000] });
    const first = await backup(repo, { source, type: 'full', threads: 0 });
    const before = describeTree(source);

    const rewritten = path.join(source, 'tiles/z1/x1/f1.dat');
    fs.writeFileSync(rewritten, 'a different, longer content for this feature file');
    const large = path.join(source, 'large-0.bin');
    const fd = fs.openSync(large, 'r+');
    fs.writeSync(fd, pseudoRandomBytes(1000, 99), 0, 1000, 500_000);
    fs.closeSync(fd);
    fs.writeFileSync(path.join(source, 'added.json'), '{"added":true}');
    fs.rmSync(path.join(source, 'tiles/z2/x2/f2.dat'));
    const changedBytes = fs.statSync(rewritten).size + fs.statSync(large).size + fs.statSync(path.join(source, 'added.json')).size;

    const second = await backup(repo, { source, type: 'incremental', threads: 0 });
    expect(second.type).toBe('incremental');
    expect(second.parent).toBe(first.snapshotId);
    expect(second.stats.bytesRead).toBe(changedBytes);
    expect(second.stats).toMatchObject({ filesChanged: 2, filesNew: 1, filesUnmodified: first.stats.files - 3 });
    // The 1000-byte overwrite in a 2 MB file adds about one chunk, not the whole file.
    expect(second.stats.bytesAdded).toBeLessThan(600_000);

    const t1 = tempDir('dst1');
    const t2 = tempDir('dst2');
    await restore(repo, first.snapshotId, { target: t1 });
    await restore(repo, second.snapshotId, { target: t2 });
    expectSameTree(before, t1);
    expectSameTree(source, t2);
  });

  test('a differential backup builds on the latest full, not on the latest incremental', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 30 });
    const full = await backup(repo, { source, type: 'full', threads: 0 });
    fs.writeFileSync(path.join(source, 'one.txt'), 'one');
    const incremental = await backup(repo, { source, type: 'incremental', threads: 0 });
    expect(incremental.parent).toBe(full.snapshotId);
    fs.writeFileSync(path.join(source, 'two.txt'), 'two');
    const differential = await backup(repo, { source, type: 'differential', threads: 0 });
    expect(differential.parent).toBe(full.snapshotId);
    expect(differential.stats.filesNew).toBe(2);
    const snaps = await listSnapshots(repo);
    expect(snaps.map((s) => s.type)).toEqual(['full', 'incremental', 'differential']);
  });

  test('a restore into a partly restored target skips complete files and redoes the rest', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 50, largeFiles: [1_000_000] });
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    const target = tempDir('dst');
    await restore(repo, result.snapshotId, { target });
    fs.rmSync(path.join(target, 'large-0.bin'));
    fs.writeFileSync(path.join(target, 'tiles/z1/x1/f1.dat'), 'half-written');
    const again = await restore(repo, result.snapshotId, { target });
    expect(again.filesSkipped).toBe(result.stats.files - 2);
    expectSameTree(source, target);
  });

  test('include and exclude globs select what is backed up and restored', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 30 });
    fs.writeFileSync(path.join(source, 'scratch.tmp'), 'temporary');
    const result = await backup(repo, { source, type: 'full', excludes: ['*.tmp'], threads: 0 });
    const target = tempDir('dst');
    await restore(repo, result.snapshotId, { target, includes: ['tiles/z1'], excludes: ['f8.dat'] });
    const restored = fs.readdirSync(path.join(target, 'tiles'));
    expect(restored).toEqual(['z1']);
    expect(fs.existsSync(path.join(target, 'scratch.tmp'))).toBe(false);
    expect(fs.existsSync(path.join(target, 'tiles/z1/x8/f8.dat'))).toBe(false);
    expect(fs.readFileSync(path.join(target, 'tiles/z1/x1/f1.dat'))).toEqual(fs.readFileSync(path.join(source, 'tiles/z1/x1/f1.dat')));
  });
});

describe('restore refuses damaged data', () => {
  // Encrypted: the AES-GCM tag refuses the blob (restore does not re-hash it). Unencrypted: the
  // damaged blob is one stored raw, so only the id check can catch it.
  test.each([
    ['an encrypted', true],
    ['an unencrypted', false],
  ])('a flipped byte in a file blob of %s repository: that file is reported and left out, every other file is restored', async (_label, encryption) => {
    const dir = tempDir('repo');
    const repo = await Repository.init(new LocalStorage(dir), encryption ? PASS : undefined, { ...smallChunks, encryption });
    const source = tempDir('src');
    writeTree(source, { smallFiles: 10, largeFiles: [1_000_000] });
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    const loaded = await MasterIndex.load(repo);
    const [, loc] = [...loaded.entries()].find(([, l]) => l.type === 'data' && l.codec === 0 && l.length > 10_000)!;
    const file = path.join(dir, 'data', loc.pack.slice(0, 2), loc.pack);
    const bytes = fs.readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(loc.offset + 50) ^ 0xff, loc.offset + 50);
    fs.writeFileSync(file, bytes);

    const expected = describeTree(source);
    expected.delete('large-0.bin');
    for (const threads of [0, 2]) {
      const target = tempDir('dst');
      const restored = await restore(repo, result.snapshotId, { target, threads });
      expect(restored).toMatchObject({ filesDamaged: 1, damaged: [{ path: 'large-0.bin', reason: expect.stringContaining('is damaged') }] });
      expectSameTree(expected, target);
    }
  });
});

describe('verify', () => {
  async function backedUp() {
    const { repo, dir } = await newRepo();
    const source = tempDir('src');
    writeTree(source, { smallFiles: 20, largeFiles: [3_000_000] });
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    const packs: string[] = [];
    for await (const e of repo.storage.list('data')) packs.push(e.name);
    return { repo, dir, result, packs };
  }

  test('a clean repository passes every level', async () => {
    const { repo } = await backedUp();
    for (const level of ['quick', 'standard', 'deep'] as const) {
      const report = await verify(repo, { level });
      expect(report).toMatchObject({ ok: true, problems: [] });
    }
  });

  test('a flipped byte in a pack is found by deep verify, which names the affected file', async () => {
    const { repo, dir } = await backedUp();
    const loaded = await MasterIndex.load(repo);
    // The largest data blob is one of large-0.bin's (the small files are under 5 KB); a fixed
    // size bar failed now and then, since the keyed chunker cuts differently in each repository.
    const [, loc] = [...loaded.entries()].filter(([, l]) => l.type === 'data').sort(([, a], [, b]) => b.length - a.length)[0]!;
    const file = path.join(dir, 'data', loc.pack.slice(0, 2), loc.pack);
    const bytes = fs.readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(loc.offset + 50) ^ 0xff, loc.offset + 50);
    fs.writeFileSync(file, bytes);

    expect((await verify(repo, { level: 'quick' })).ok).toBe(true);
    const report = await verify(repo, { level: 'deep' });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'damaged-blob', pack: loc.pack, path: 'large-0.bin' })]);
  });

  test('a deleted pack is found by quick verify', async () => {
    const { repo, dir, packs } = await backedUp();
    const victim = packs[0]!;
    fs.rmSync(path.join(dir, 'data', victim.slice(0, 2), victim));
    const report = await verify(repo, { level: 'quick' });
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ kind: 'missing-pack', pack: victim, path: expect.any(String) }));
  });
});

describe('keys', () => {
  test('a wrong passphrase is refused; added keys open the repository; the key in use cannot be removed; after a removal the remaining key opens it', async () => {
    const { repo } = await newRepo();
    await expect(Repository.open(repo.storage, 'wrong')).rejects.toMatchObject({ code: 'wrong-passphrase' });
    const added = await repo.addKey('second passphrase');
    const second = await Repository.open(repo.storage, 'second passphrase');
    expect(second.config.id).toBe(repo.config.id);
    expect((await second.listKeys()).map((k) => k.current)).toEqual([false, true]);
    await expect(second.removeKey(added.id)).rejects.toMatchObject({ code: 'invalid-argument' });
    const first = (await second.listKeys()).find((k) => !k.current)!;
    await second.removeKey(first.id);
    await expect(Repository.open(repo.storage, PASS)).rejects.toMatchObject({ code: 'wrong-passphrase' });
    // The remaining key still opens the repository, afresh, and is then its only key.
    const reopened = await Repository.open(repo.storage, 'second passphrase');
    expect(reopened.config.id).toBe(repo.config.id);
    expect((await reopened.listKeys()).map((k) => [k.id, k.current])).toEqual([[added.id, true]]);
  });

  test('storage without a repository is reported as such', async () => {
    await expect(Repository.open(new LocalStorage(tempDir('empty')), PASS)).rejects.toMatchObject({ code: 'not-a-repository' });
  });
});

describe('restore refuses crafted snapshots', () => {
  /** Stores trees built by hand and a snapshot pointing at the root. */
  async function craft(repo: Repository, root: TreeNode[], subtrees: Record<string, TreeNode[]> = {}): Promise<string> {
    const settings = { keys: repo.keys, compression: repo.config.compression, compressionLevel: repo.config.compressionLevel };
    const indexWriter = new IndexWriter(repo);
    const packs = new PackWriter(repo.storage, repo.keys, repo.config.packSize, (p) => indexWriter.add(p));
    const ids: Record<string, string> = {};
    for (const [name, nodes] of Object.entries(subtrees)) {
      const blob = encodeBlob(settings, 'tree', encodeTree(nodes));
      ids[name] = blob.id;
      await packs.add(blob);
    }
    const rootBlob = encodeBlob(settings, 'tree', encodeTree(root.map((n) => (n.subtree ? { ...n, subtree: ids[n.subtree] } : n))));
    await packs.add(rootBlob);
    await packs.flush();
    await indexWriter.flush();
    const stats = { files: 0, dirs: 0, bytes: 0, filesNew: 0, filesChanged: 0, filesUnmodified: 0, bytesRead: 0, bytesAdded: 0, bytesStored: 0 };
    return saveSnapshot(repo, { version: 1, time: new Date().toISOString(), host: 'h', source: '/x', type: 'full', parent: null, tags: [], excludes: [], tree: rootBlob.id, stats });
  }
  const file = (name: string): TreeNode => ({ name, type: 'file', mode: 0o644, mtimeNs: '0', size: 0, content: [] });

  test.each([
    ['a ".." entry', [file('..')]],
    ['an absolute path', [file('/etc/passwd')]],
    ['a name with a slash', [file('a/../../b')]],
    ['a name whose bytes are ".."', [{ ...file('dots'), rawName: Buffer.from('..').toString('base64') }]],
    ['a name whose bytes hold a slash', [{ ...file('slash'), rawName: Buffer.from('a/\xff', 'latin1').toString('base64') }]],
    ['a name whose bytes hold a NUL', [{ ...file('nul'), rawName: Buffer.from('a\0\xff', 'latin1').toString('base64') }]],
    ['two entries with the same bytes', [file('same'), { ...file('other'), rawName: Buffer.from('same').toString('base64') }]],
  ])('%s', async (_label, nodes) => {
    const { repo } = await newRepo();
    const snapshot = await craft(repo, nodes);
    const parent = tempDir('outer');
    const target = path.join(parent, 'target');
    await expect(restore(repo, snapshot, { target })).rejects.toMatchObject({ code: 'unsafe-path' });
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  test('an unsafe name in the last of many sibling directories (past the subtrees read ahead) stops the restore before anything is written', async () => {
    const { repo } = await newRepo();
    const siblings = Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    const subtrees = Object.fromEntries(siblings.map((name, i) => [name, [i === siblings.length - 1 ? file('..') : file('safe')]]));
    const snapshot = await craft(
      repo,
      siblings.map((name) => ({ name, type: 'dir', mode: 0o755, mtimeNs: '0', subtree: name })),
      subtrees,
    );
    const parent = tempDir('outer');
    await expect(restore(repo, snapshot, { target: path.join(parent, 'target') })).rejects.toMatchObject({ code: 'unsafe-path', message: expect.stringContaining('d39/..') });
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  test.each([0, 2])('files get their exact modes whatever the umask, created with them or set after (%i threads)', async (threads) => {
    const modes = [0o400, 0o444, 0o640, 0o600, 0o755, 0o777, 0o2755, 0o1644];
    const { repo } = await newRepo();
    const source = tempDir('src');
    for (const mode of modes) {
      for (const [name, body] of [[`full${mode.toString(8)}`, `mode ${mode}`], [`empty${mode.toString(8)}`, '']]) {
        fs.writeFileSync(path.join(source, name!), body!);
        fs.chmodSync(path.join(source, name!), mode);
      }
    }
    await backup(repo, { source, type: 'full' });
    const target = tempDir('target');
    const umask = process.umask(0o027);
    try {
      await restore(repo, 'latest', { target, threads });
    } finally {
      process.umask(umask);
    }
    for (const name of fs.readdirSync(source)) {
      const modeOf = (dir: string) => (fs.statSync(path.join(dir, name)).mode & 0o7777).toString(8);
      expect({ name, mode: modeOf(target) }).toEqual({ name, mode: modeOf(source) });
    }
  });

  test('a symlink escape: a link to outside and a directory of the same name', async () => {
    const { repo } = await newRepo();
    const outside = tempDir('outside');
    const snapshot = await craft(
      repo,
      [
        { name: 'escape', type: 'symlink', mode: 0o777, mtimeNs: '0', target: outside },
        { name: 'escape', type: 'dir', mode: 0o755, mtimeNs: '0', subtree: 'inner' },
      ],
      { inner: [file('planted')] },
    );
    const target = tempDir('target');
    const err = await restore(repo, snapshot, { target }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RepositoryError);
    expect(err).toMatchObject({ code: 'unsafe-path' });
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.readdirSync(target)).toEqual([]);
  });

  test('a directory swapped for a symlink to outside while the restore runs is not followed', async () => {
    // Only the realpath check before each entry stops this: the directory passed every other check
    // when it was created, and another process replaced it (simulated here right after mkdir).
    const { repo } = await newRepo();
    const outside = tempDir('outside');
    const snapshot = await craft(
      repo,
      [{ name: 'dir', type: 'dir', mode: 0o755, mtimeNs: '0', subtree: 'inner' }],
      { inner: [{ name: 'link', type: 'symlink', mode: 0o777, mtimeNs: '0', target: 'anywhere' }, file('planted')] },
    );
    const target = fs.realpathSync(tempDir('target'));
    const swapped = path.join(target, 'dir');
    const mkdir = fs.promises.mkdir.bind(fs.promises);
    const spy = jest.spyOn(fs.promises, 'mkdir').mockImplementation(async (dir, options) => {
      const made = await mkdir(dir, options);
      if (dir === swapped) {
        fs.rmdirSync(swapped);
        fs.symlinkSync(outside, swapped);
      }
      return made;
    });
    try {
      await expect(restore(repo, snapshot, { target, threads: 0 })).rejects.toMatchObject({ code: 'unsafe-path', message: expect.stringContaining('resolves outside the target') });
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  test('a pre-existing symlink in the target is not followed', async () => {
    const { repo } = await newRepo();
    const outside = tempDir('outside');
    const snapshot = await craft(repo, [{ name: 'dir', type: 'dir', mode: 0o755, mtimeNs: '0', subtree: 'inner' }], { inner: [file('planted')] });
    const target = tempDir('target');
    fs.symlinkSync(outside, path.join(target, 'dir'));
    await expect(restore(repo, snapshot, { target })).rejects.toMatchObject({ code: 'unsafe-path' });
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});
