// Metadata a backup must keep, on real files (these tests run as root, so owners and device
// nodes are real): uid/gid and names, extended attributes, hard links, FIFOs, sockets, device
// nodes, setuid/setgid/sticky bits, nanosecond mtimes, a sparse 1 GiB file, and a resumed restore
// that must not trust size and mtime alone; and a restore of more small files than the process
// may hold open at once.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getAttributeSync, removeAttributeSync, setAttributeSync } from '@napi-rs/xattr';
import { backup } from '../../core/archiver';
import { BlobReader } from '../../core/blobReader';
import { MasterIndex } from '../../core/masterIndex';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { TreeNode } from '../../core/tree';
import { LocalStorage } from '../../storage/local';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const PASS = 'correct horse battery staple';
const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? test : test.skip;

async function newRepo(dir = tempDir('repo')): Promise<Repository> {
  return Repository.init(new LocalStorage(dir), PASS, { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 });
}

/** Backs the source up and restores it into a new directory. */
async function roundTrip(source: string, restoreOptions: { excludes?: string[]; threads?: number } = {}) {
  const repo = await newRepo();
  const backed = await backup(repo, { source, type: 'full', threads: 0 });
  const target = tempDir('dst');
  const restored = await restore(repo, backed.snapshotId, { target, ...restoreOptions });
  return { repo, backed, restored, target };
}

/** The top-level tree nodes of a snapshot, by name. */
async function topNodes(repo: Repository, snapshotId: string): Promise<Map<string, TreeNode>> {
  const snapshot = (await listSnapshots(repo)).find((s) => s.id === snapshotId)!;
  const tree = await new BlobReader(repo, await MasterIndex.load(repo)).tree(snapshot.tree);
  return new Map(tree.nodes.map((n) => [n.name, n]));
}

function setNs(abs: string, when: string): void {
  execFileSync('touch', ['-h', '-d', `@${when}`, abs]);
}

function facts(abs: string) {
  const st = fs.lstatSync(abs, { bigint: true });
  return { mode: Number(st.mode), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs.toString(), rdev: st.rdev.toString() };
}

function sha256(abs: string): string {
  return createHash('sha256').update(fs.readFileSync(abs)).digest('hex');
}

/** Restores in a child process running the build (so run `npm run build` first), under a shell prefix; prints the result as JSON. */
function restoreInChild(prefix: string[], repoDir: string, snapshotId: string, target: string) {
  const dist = path.join(__dirname, '..', '..', 'dist');
  const script = `
    const { Repository } = require(${JSON.stringify(path.join(dist, 'core/repository.js'))});
    const { LocalStorage } = require(${JSON.stringify(path.join(dist, 'storage/local.js'))});
    const { restore } = require(${JSON.stringify(path.join(dist, 'core/restorer.js'))});
    Repository.open(new LocalStorage(process.argv[1]), ${JSON.stringify(PASS)})
      .then((repo) => restore(repo, process.argv[2], { target: process.argv[3], threads: 0 }))
      .then((r) => console.log(JSON.stringify(r)), (err) => { console.error(err.message); process.exit(1); });`;
  return spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, '-e', script, repoDir, snapshotId, target], { encoding: 'utf8' });
}

describe('ownership', () => {
  rootOnly('uid and gid (known and unknown to this host) and user/group names are recorded and restored by numeric id', async () => {
    const source = tempDir('src');
    fs.writeFileSync(path.join(source, 'numeric'), 'owned by ids no user has');
    fs.chownSync(path.join(source, 'numeric'), 4321, 8765);
    fs.writeFileSync(path.join(source, 'nobody'), 'owned by nobody');
    fs.chownSync(path.join(source, 'nobody'), 65534, 65534);
    fs.mkdirSync(path.join(source, 'dir'));
    fs.chownSync(path.join(source, 'dir'), 4321, 4321);
    fs.symlinkSync('numeric', path.join(source, 'link'));
    fs.lchownSync(path.join(source, 'link'), 1111, 2222);

    const { repo, backed, target } = await roundTrip(source);
    const nodes = await topNodes(repo, backed.snapshotId);
    expect(nodes.get('numeric')).toMatchObject({ uid: 4321, gid: 8765 });
    expect(nodes.get('numeric')!.user).toBeUndefined();
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');
    const nobody = /^([^:]+):[^:]*:65534:/m.exec(passwd)?.[1];
    expect(nobody).toBeDefined();
    expect(nodes.get('nobody')).toMatchObject({ uid: 65534, gid: 65534, user: nobody });
    expect(nodes.get('dir')).toMatchObject({ uid: 4321, gid: 4321 });
    expect(Object.keys(nodes.get('dir')!)).not.toContain('user');
    for (const name of ['numeric', 'nobody', 'dir', 'link']) {
      const [a, b] = [facts(path.join(source, name)), facts(path.join(target, name))];
      expect({ name, uid: b.uid, gid: b.gid }).toEqual({ name, uid: a.uid, gid: a.gid });
    }
  });

  rootOnly('setuid, setgid and sticky bits survive the change of owner (chmod after chown)', async () => {
    const source = tempDir('src');
    const suid = path.join(source, 'suid-tool');
    fs.writeFileSync(suid, '#!/bin/sh\n');
    fs.chownSync(suid, 4321, 4321);
    fs.chmodSync(suid, 0o4755);
    const sgid = path.join(source, 'sgid-dir');
    fs.mkdirSync(sgid);
    fs.chownSync(sgid, 4321, 4321);
    fs.chmodSync(sgid, 0o2775);
    const sticky = path.join(source, 'sticky-dir');
    fs.mkdirSync(sticky);
    fs.chmodSync(sticky, 0o1777);
    const { target } = await roundTrip(source);
    for (const name of ['suid-tool', 'sgid-dir', 'sticky-dir']) {
      expect({ name, ...facts(path.join(target, name)), mtimeNs: 0 }).toEqual({ name, ...facts(path.join(source, name)), mtimeNs: 0 });
    }
  });
  rootOnly('a restore by a user other than root skips owners and device nodes without failing, and says so for devices', async () => {
    const source = tempDir('src');
    fs.writeFileSync(path.join(source, 'owned'), 'owned by someone else');
    fs.chownSync(path.join(source, 'owned'), 4321, 4321);
    execFileSync('mknod', ['-m', '0666', path.join(source, 'null-like'), 'c', '1', '3']);
    execFileSync('mkfifo', [path.join(source, 'pipe')]);
    const repoDir = tempDir('repo');
    const backed = await backup(await newRepo(repoDir), { source, type: 'full', threads: 0 });
    const target = tempDir('dst');
    execFileSync('chmod', ['-R', 'a+rX', repoDir]);
    fs.chownSync(target, 65534, 65534);
    const child = restoreInChild(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], repoDir, backed.snapshotId, target);
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toMatchObject({ files: 1, specialFiles: 1, warnings: ['not restored: null-like: device nodes are recreated only when restoring as root'] });
    expect(facts(path.join(target, 'owned'))).toMatchObject({ uid: 65534, gid: 65534 });
    expect(fs.readFileSync(path.join(target, 'owned'), 'utf8')).toBe('owned by someone else');
    expect(fs.lstatSync(path.join(target, 'pipe')).isFIFO()).toBe(true);
  });
});

describe('extended attributes', () => {
  test('user.* attributes (binary and empty values) on files and directories are restored; a symlink is not followed', async () => {
    const source = tempDir('src');
    const file = path.join(source, 'tagged.tif');
    fs.writeFileSync(file, 'raster');
    setAttributeSync(file, 'user.meridian.binary', pseudoRandomBytes(300, 7));
    setAttributeSync(file, 'user.empty', Buffer.alloc(0));
    fs.chmodSync(file, 0o444);
    const dir = path.join(source, 'tagged-dir');
    fs.mkdirSync(dir);
    setAttributeSync(dir, 'user.xdg.comment', 'a directory comment');
    fs.symlinkSync('tagged.tif', path.join(source, 'link'));
    fs.writeFileSync(path.join(source, 'plain'), 'no attributes');

    const { repo, backed, target } = await roundTrip(source);
    const nodes = await topNodes(repo, backed.snapshotId);
    expect(nodes.get('plain')!.xattrs).toBeUndefined();
    expect(nodes.get('link')!.xattrs).toBeUndefined();
    const restored = path.join(target, 'tagged.tif');
    expect(getAttributeSync(restored, 'user.meridian.binary')).toEqual(pseudoRandomBytes(300, 7));
    expect(getAttributeSync(restored, 'user.empty')).toEqual(Buffer.alloc(0));
    expect(fs.statSync(restored).mode & 0o777).toBe(0o444);
    expect(getAttributeSync(path.join(target, 'tagged-dir'), 'user.xdg.comment')?.toString()).toBe('a directory comment');
  });

  test('an incremental carries an unchanged file\'s attributes over, and sees one set or removed since (the ctime moves)', async () => {
    const source = tempDir('src');
    const file = path.join(source, 'tagged.tif');
    fs.writeFileSync(file, 'raster');
    setAttributeSync(file, 'user.first', 'one');
    const repo = await newRepo();
    const attributes = async (snapshotId: string) => (await topNodes(repo, snapshotId)).get('tagged.tif')!.xattrs;
    const incremental = () => backup(repo, { source, type: 'incremental', threads: 0 });
    await backup(repo, { source, type: 'full', threads: 0 });

    const carried = await incremental();
    expect(carried.stats.filesUnmodified).toBe(1);
    expect(await attributes(carried.snapshotId)).toEqual([{ name: 'user.first', value: Buffer.from('one').toString('base64') }]);

    await sleep(20); // past the kernel's timestamp granularity, so the change gets a new ctime
    setAttributeSync(file, 'user.second', 'two');
    const added = await incremental();
    expect(added.stats.filesChanged).toBe(1); // a new ctime: read again, content and attributes
    expect((await attributes(added.snapshotId))?.map((x) => x.name).sort()).toEqual(['user.first', 'user.second']);

    await sleep(20);
    removeAttributeSync(file, 'user.first');
    removeAttributeSync(file, 'user.second');
    expect(await attributes((await incremental()).snapshotId)).toBeUndefined();
  });
});

/** A POSIX access ACL in the kernel's xattr form: version 2, then (tag, permissions, id) entries. */
function posixAcl(entries: [tag: number, perm: number, id: number][]): Buffer {
  const acl = Buffer.alloc(4 + 8 * entries.length);
  acl.writeUInt32LE(2, 0);
  entries.forEach(([tag, perm, id], i) => {
    acl.writeUInt16LE(tag, 4 + 8 * i);
    acl.writeUInt16LE(perm, 6 + 8 * i);
    acl.writeUInt32LE(id, 8 + 8 * i);
  });
  return acl;
}

describe('access control lists', () => {
  test('a POSIX ACL (system.posix_acl_access) on a file and a directory is restored byte for byte, with the mode', async () => {
    const source = tempDir('src');
    const none = 0xffffffff;
    // user::rwx, user:4321:r--, group::r-x, mask::r-x, other::---
    const acl = posixAcl([[0x01, 7, none], [0x02, 4, 4321], [0x04, 5, none], [0x10, 5, none], [0x20, 0, none]]);
    fs.writeFileSync(path.join(source, 'shared.gpkg'), 'geopackage');
    fs.mkdirSync(path.join(source, 'shared-dir'));
    for (const name of ['shared.gpkg', 'shared-dir']) setAttributeSync(path.join(source, name), 'system.posix_acl_access', acl);
    const { target } = await roundTrip(source);
    for (const name of ['shared.gpkg', 'shared-dir']) {
      expect({ name, acl: getAttributeSync(path.join(target, name), 'system.posix_acl_access') }).toEqual({ name, acl });
      expect({ name, mode: fs.statSync(path.join(target, name)).mode }).toEqual({ name, mode: fs.statSync(path.join(source, name)).mode });
    }
  });
});

describe('hard links', () => {
  test('a link group is read once and restored as links to one inode; when the first member is excluded, the next gets the content', async () => {
    const source = tempDir('src');
    fs.mkdirSync(path.join(source, 'b-dir'));
    fs.writeFileSync(path.join(source, 'a-first'), pseudoRandomBytes(100_000, 3));
    fs.linkSync(path.join(source, 'a-first'), path.join(source, 'b-dir', 'second'));
    fs.linkSync(path.join(source, 'a-first'), path.join(source, 'c-third'));
    fs.writeFileSync(path.join(source, 'd-separate'), pseudoRandomBytes(100_000, 3));

    const { repo, backed, restored, target } = await roundTrip(source);
    expect((await topNodes(repo, backed.snapshotId)).get('a-first')).toMatchObject({ nlink: 3 });
    // One read of the linked inode and one of the separate file.
    expect(backed.stats.bytesRead).toBe(200_000);
    expect(backed.stats).toMatchObject({ files: 4, filesNew: 4 });
    const ino = (rel: string) => fs.statSync(path.join(target, rel)).ino;
    expect(ino('b-dir/second')).toBe(ino('a-first'));
    expect(ino('c-third')).toBe(ino('a-first'));
    expect(ino('d-separate')).not.toBe(ino('a-first'));
    expect(fs.statSync(path.join(target, 'a-first')).nlink).toBe(3);
    expect(sha256(path.join(target, 'c-third'))).toBe(sha256(path.join(source, 'a-first')));
    expect(restored).toMatchObject({ files: 4, hardLinks: 2 });

    const partial = tempDir('dst');
    await restore(repo, backed.snapshotId, { target: partial, excludes: ['a-first'] });
    expect(fs.existsSync(path.join(partial, 'a-first'))).toBe(false);
    expect(sha256(path.join(partial, 'b-dir/second'))).toBe(sha256(path.join(source, 'a-first')));
    expect(fs.statSync(path.join(partial, 'c-third')).ino).toBe(fs.statSync(path.join(partial, 'b-dir/second')).ino);
  });
});

describe('special files', () => {
  test('a FIFO is recreated with its mode and mtime; a socket is recorded, not recreated, and named in the warnings', async () => {
    const source = tempDir('src');
    execFileSync('mkfifo', ['-m', '0620', path.join(source, 'pipe')]);
    setNs(path.join(source, 'pipe'), '1500000000.987654321');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(source, 'sock'), resolve));
    try {
      const { repo, backed, restored, target } = await roundTrip(source);
      const nodes = await topNodes(repo, backed.snapshotId);
      expect(nodes.get('pipe')).toMatchObject({ type: 'fifo', mode: 0o620 });
      expect(nodes.get('sock')).toMatchObject({ type: 'socket' });
      expect(fs.lstatSync(path.join(target, 'pipe')).isFIFO()).toBe(true);
      expect(facts(path.join(target, 'pipe'))).toEqual(facts(path.join(source, 'pipe')));
      expect(fs.existsSync(path.join(target, 'sock'))).toBe(false);
      expect(restored.specialFiles).toBe(1);
      expect(restored.warnings).toEqual([expect.stringMatching(/^not restored: sock: sockets are not recreated/)]);
    } finally {
      server.close();
    }
  });

  rootOnly('character and block devices are recreated with their device numbers, owner and mode', async () => {
    const source = tempDir('src');
    execFileSync('mknod', ['-m', '0666', path.join(source, 'null-like'), 'c', '1', '3']);
    execFileSync('mknod', ['-m', '0660', path.join(source, 'loop-like'), 'b', '7', '200']);
    fs.chownSync(path.join(source, 'loop-like'), 0, 6);
    const { repo, backed, target } = await roundTrip(source);
    const nodes = await topNodes(repo, backed.snapshotId);
    expect(nodes.get('null-like')).toMatchObject({ type: 'chardev', rdev: fs.lstatSync(path.join(source, 'null-like')).rdev.toString() });
    expect(nodes.get('loop-like')).toMatchObject({ type: 'blockdev' });
    expect(fs.lstatSync(path.join(target, 'null-like')).isCharacterDevice()).toBe(true);
    expect(fs.lstatSync(path.join(target, 'loop-like')).isBlockDevice()).toBe(true);
    for (const name of ['null-like', 'loop-like']) expect({ name, ...facts(path.join(target, name)) }).toEqual({ name, ...facts(path.join(source, name)) });
  });
});

describe('nanosecond mtimes', () => {
  test.each([0, 2])('files, directories and symlinks keep every nanosecond (decoder threads: %i)', async (threads) => {
    const source = tempDir('src');
    fs.mkdirSync(path.join(source, 'dir'));
    fs.writeFileSync(path.join(source, 'dir', 'file'), pseudoRandomBytes(5000, 1));
    fs.writeFileSync(path.join(source, 'empty'), '');
    fs.symlinkSync('dir/file', path.join(source, 'link'));
    setNs(path.join(source, 'dir', 'file'), '1600000000.123456789');
    setNs(path.join(source, 'empty'), '1600000000.000000001');
    setNs(path.join(source, 'link'), '1400000000.999999999');
    setNs(path.join(source, 'dir'), '1300000000.100000007');
    const { target } = await roundTrip(source, { threads });
    for (const rel of ['dir', 'dir/file', 'empty', 'link']) {
      expect({ rel, mtimeNs: facts(path.join(target, rel)).mtimeNs }).toEqual({ rel, mtimeNs: facts(path.join(source, rel)).mtimeNs });
    }
  });
});

describe('sparse files', () => {
  test('a sparse 1 GiB file restores with its holes, not a gigabyte of zeros', async () => {
    const source = tempDir('src');
    const sparse = path.join(source, 'sparse.img');
    execFileSync('truncate', ['-s', '1G', sparse]);
    const fd = fs.openSync(sparse, 'r+');
    for (const at of [0, 300 * 1024 * 1024, 700 * 1024 * 1024 + 12345]) fs.writeSync(fd, pseudoRandomBytes(64 * 1024, at), 0, 64 * 1024, at);
    fs.closeSync(fd);
    const { target } = await roundTrip(source);
    const restored = fs.statSync(path.join(target, 'sparse.img'));
    expect(restored.size).toBe(1024 ** 3);
    // Only all-zero blobs become holes: each 64 KiB extent lands in chunks of at most 256 KiB
    // (this repository's maximum) on either side, so at most 3 * (64 + 2 * 256) KiB is allocated.
    expect(restored.blocks * 512).toBeLessThanOrEqual(3 * (64 + 2 * 256) * 1024);
    expect(sha256(path.join(target, 'sparse.img'))).toBe(sha256(sparse));
  });
});

describe('resumed restore', () => {
  test('a file in the target with the right size and mtime but other content is rewritten, not kept', async () => {
    const source = tempDir('src');
    fs.writeFileSync(path.join(source, 'data.bin'), 'the right content');
    fs.writeFileSync(path.join(source, 'other.bin'), 'untouched');
    const { repo, backed, target } = await roundTrip(source);
    const wrong = path.join(target, 'data.bin');
    const { mtimeNs } = facts(wrong);
    fs.writeFileSync(wrong, 'the WRONG content');
    setNs(wrong, `${mtimeNs.slice(0, -9)}.${mtimeNs.slice(-9)}`);
    expect(facts(wrong).mtimeNs).toBe(mtimeNs);
    const again = await restore(repo, backed.snapshotId, { target });
    expect(fs.readFileSync(wrong, 'utf8')).toBe('the right content');
    expect(again.filesSkipped).toBe(1);
  });
});

describe('many small files', () => {
  test('a restore of 2,000 small files (one pack step) runs under a 256-descriptor limit', async () => {
    const source = tempDir('src');
    for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(source, `f${i}`), `feature ${i}`);
    const repoDir = tempDir('repo');
    const backed = await backup(await newRepo(repoDir), { source, type: 'full', threads: 0 });
    const target = tempDir('dst');
    const child = restoreInChild(['sh', '-c', 'ulimit -n 256 && exec "$@"', 'sh'], repoDir, backed.snapshotId, target);
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toMatchObject({ files: 2000 });
    expect(fs.readFileSync(path.join(target, 'f1999'), 'utf8')).toBe('feature 1999');
  });
});
