// Hostile names and entries on real disks: names that are not UTF-8 (files, directories with
// children, symlink targets), backslashes, newlines and 255-byte names round-trip exactly; entries
// that cannot be read (a path over 4,096 bytes, a file deleted during the backup, a file and a
// directory an unprivileged user may not read) are skipped with a warning naming each, and the
// snapshot is marked incomplete.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { verify } from '../../core/checker';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { writeDeepTree, writeHostileNames } from '../helpers/hostileTrees';
import { describeTree, expectSameTree, tempDir } from '../helpers/trees';

const PASS = 'correct horse battery staple';

async function newRepo(): Promise<{ repo: Repository; dir: string }> {
  const dir = tempDir('repo');
  return { repo: await Repository.init(new LocalStorage(dir), PASS, { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 }), dir };
}

/** A path below `root` from name parts given as bytes (strings are UTF-8). */
const at = (root: string, ...parts: (string | Buffer)[]) => Buffer.concat([Buffer.from(root), ...parts.flatMap((p) => [Buffer.from('/'), Buffer.from(p)])]);

/** The total size of the regular files directly in `dir`. */
const describeTotal = (dir: string) => fs.readdirSync(dir).reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);

async function manifest(repo: Repository, snapshotId: string) {
  return (await listSnapshots(repo)).find((s) => s.id === snapshotId)!;
}

describe('names are bytes', () => {
  test.each([0, 2])('non-UTF-8 names (files, a directory with children, a symlink target), backslashes, newlines and 255-byte names restore exactly (%i threads)', async (threads) => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeHostileNames(source);
    const result = await backup(repo, { source, type: 'full', threads });
    expect({ skipped: result.filesSkipped, warnings: result.warnings }).toEqual({ skipped: 0, warnings: [] });
    expect(result.stats.files).toBe(13);
    const target = tempDir('dst');
    await restore(await Repository.open(repo.storage, PASS), result.snapshotId, { target, threads });
    expectSameTree(source, target);
    expect(describeTree(target).get('dir\\xe9/sub\\xff/deep.bin')).toMatchObject({ size: 70_000 });
  });

  test('an incremental backup finds unchanged files by their bytes, and two names a lossy decoding would merge stay apart', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeHostileNames(source);
    await backup(repo, { source, type: 'full', threads: 0 });
    fs.writeFileSync(at(source, Buffer.from([0x61, 0xfe])), 'second, changed');
    const second = await backup(repo, { source, type: 'incremental', threads: 0 });
    expect(second.stats).toMatchObject({ filesChanged: 1, filesNew: 0, filesUnmodified: 12 });
    const target = tempDir('dst');
    await restore(repo, second.snapshotId, { target });
    expectSameTree(source, target);
  });

  test('include and exclude globs match the printable form of names that are not UTF-8', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    writeHostileNames(source);
    const result = await backup(repo, { source, type: 'full', excludes: ['*.tif'], threads: 0 });
    const target = tempDir('dst');
    await restore(repo, result.snapshotId, { target, includes: ['dir*', 'back*'], excludes: ['sub*'] });
    expect([...describeTree(target).keys()]).toEqual(['back\\\\slash.txt', 'dir\\xe9', 'dir\\xe9/child.txt', 'dir\\xe9/\\xe0\\x80']);
    const all = tempDir('dst');
    await restore(repo, result.snapshotId, { target: all });
    expect(describeTree(all).has('\\xff\\xfe.tif')).toBe(false);
    expect(describeTree(all).has('dir\\xe9/sub\\xff/deep.bin')).toBe(true);
  });
});

describe('entries that cannot be read are skipped with a warning, and the snapshot is marked incomplete', () => {
  test('an entry whose path is longer than 4,096 bytes', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    fs.writeFileSync(path.join(source, 'shallow.txt'), 'kept');
    const { level, levelsKept, remove } = writeDeepTree(source);
    try {
      const result = await backup(repo, { source, type: 'full', threads: 0 });
      // The first directory whose path reaches 4,096 bytes (with its NUL) cannot even be lstat'ed.
      expect(result.filesSkipped).toBe(1);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toMatch(/^skipped \/.*….*d{30}: ENAMETOOLONG: name too long$/);
      expect(result.warnings[0]!.length).toBeLessThanOrEqual(300);
      expect(await manifest(repo, result.snapshotId)).toMatchObject({ incomplete: true, filesSkipped: 1 });
      const target = tempDir('dst');
      await restore(repo, result.snapshotId, { target });
      expect(fs.readFileSync(path.join(target, 'shallow.txt'), 'utf8')).toBe('kept');
      const depth = [...describeTree(target).keys()].filter((k) => k.startsWith(level)).length;
      expect(depth).toBe(levelsKept);
    } finally {
      remove();
    }
  });

  test('a file deleted during the backup', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(source, `f${String(i).padStart(3, '0')}.txt`), `file ${i}`);
    const victim = path.join(source, 'f199.txt');
    // Inline encoding goes batch by batch (64 files); the first report comes before the last batch is read.
    const result = await backup(repo, { source, type: 'full', threads: 0, onProgress: () => fs.rmSync(victim, { force: true }) });
    expect(result.filesSkipped).toBe(1);
    expect(result.warnings).toEqual([`skipped ${victim}: ENOENT: no such file or directory`]);
    expect(result.stats.files).toBe(199);
    expect(await manifest(repo, result.snapshotId)).toMatchObject({ incomplete: true, filesSkipped: 1 });
  });

  test('files that grow or shrink between listing and reading are stored as read, and restore and verify agree', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(source, `f${String(i).padStart(3, '0')}.txt`), `file ${i}`);
    const growing = path.join(source, 'f198.txt');
    const shrinking = path.join(source, 'f199.txt');
    fs.writeFileSync(shrinking, Buffer.alloc(300_000, 7));
    let changed = false;
    // Inline encoding goes batch by batch (64 files): the first report comes after both were listed, before they are read.
    const result = await backup(repo, {
      source,
      type: 'full',
      threads: 0,
      onProgress: () => {
        if (changed) return;
        changed = true;
        fs.appendFileSync(growing, Buffer.alloc(500_000, 1));
        fs.truncateSync(shrinking, 1000);
      },
    });
    expect(changed).toBe(true);
    expect(result.filesSkipped).toBe(0);
    expect(result.stats.bytes).toBe(describeTotal(source));
    const target = tempDir('dst');
    await restore(repo, result.snapshotId, { target });
    expect(fs.readFileSync(path.join(target, 'f198.txt')).equals(fs.readFileSync(growing))).toBe(true);
    expect(fs.readFileSync(path.join(target, 'f199.txt')).equals(fs.readFileSync(shrinking))).toBe(true);
    expect((await verify(repo, { level: 'deep' })).problems).toEqual([]);
  });

  test('a FIFO is backed up or skipped with a warning, never dropped silently', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    execFileSync('mkfifo', [path.join(source, 'pipe')]);
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    const target = tempDir('dst');
    await restore(repo, result.snapshotId, { target });
    if (!fs.existsSync(path.join(target, 'pipe'))) {
      expect(result.warnings).toEqual([expect.stringContaining(path.join(source, 'pipe'))]);
      expect(await manifest(repo, result.snapshotId)).toMatchObject({ incomplete: true, filesSkipped: 1 });
    }
  });

  test('as an unprivileged user: a file and a directory it may not read; everything else is backed up', async () => {
    const engine = path.resolve(__dirname, '..', '..', 'dist', 'bench', 'engineCommand.js');
    if (!fs.existsSync(engine)) throw new Error(`${engine} is missing: run \`npm run build\` first`);
    const { dir: repoDir } = await newRepo();
    const source = tempDir('src');
    fs.chmodSync(source, 0o755);
    fs.writeFileSync(path.join(source, 'readable.txt'), 'anyone may read this');
    fs.mkdirSync(path.join(source, 'open-dir'));
    fs.writeFileSync(path.join(source, 'open-dir', 'inside.txt'), 'inside an open directory');
    fs.writeFileSync(path.join(source, 'secret.txt'), 'root only', { mode: 0o600 });
    fs.mkdirSync(path.join(source, 'closed-dir'), { mode: 0o700 });
    fs.writeFileSync(path.join(source, 'closed-dir', 'hidden.txt'), 'root only');
    execFileSync('chown', ['-R', '65534:65534', repoDir]);

    const run = spawnSync(process.execPath, [engine, 'backup', source, repoDir], {
      uid: 65534,
      gid: 65534,
      cwd: '/',
      env: { PATH: process.env.PATH, MERIDIAN_PASSWORD: PASS },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const { result } = JSON.parse(run.stdout) as { result: { snapshotId: string; filesSkipped: number; warnings: string[] } };
    expect(result.filesSkipped).toBe(2);
    expect([...result.warnings].sort()).toEqual([
      `skipped ${path.join(source, 'closed-dir')}: EACCES: permission denied`,
      `skipped ${path.join(source, 'secret.txt')}: EACCES: permission denied`,
    ]);
    const repo = await Repository.open(new LocalStorage(repoDir), PASS);
    expect(await manifest(repo, result.snapshotId)).toMatchObject({ incomplete: true, filesSkipped: 2 });
    const target = tempDir('dst');
    await restore(repo, result.snapshotId, { target });
    expect([...describeTree(target).keys()]).toEqual(['open-dir', 'open-dir/inside.txt', 'readable.txt']);
  });

  test('a complete backup is not marked incomplete', async () => {
    const { repo } = await newRepo();
    const source = tempDir('src');
    fs.writeFileSync(path.join(source, 'a.txt'), 'a');
    const result = await backup(repo, { source, type: 'full', threads: 0 });
    const snapshot = await manifest(repo, result.snapshotId);
    expect(snapshot.incomplete).toBeUndefined();
    expect(snapshot.filesSkipped).toBeUndefined();
  });
});
