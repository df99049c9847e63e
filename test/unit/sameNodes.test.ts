// A backup reuses the parent snapshot's tree of a directory whose entries are all recorded as
// before (core/sameNodes.ts), and only of such a directory: a change of content, mode, time, owner
// field, extended attribute or name deep in the tree gives that directory and its ancestors new
// trees, and their siblings keep theirs; a restore of each snapshot gives the tree as it was.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { BlobStore } from '../../core/blobStore';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { sameNodes } from '../../core/sameNodes';
import { listSnapshots } from '../../core/snapshots';
import type { TreeNode } from '../../core/tree';
import { LocalStorage } from '../../storage/local';
import { expectSameTree, describeTree, tempDir } from '../helpers/trees';

const FILE: TreeNode = { name: 'a', type: 'file', mode: 0o644, mtimeNs: '5', size: 1, content: ['c'.repeat(64)], xattrs: [{ name: 'user.k', value: 'dg==' }] };
const byName = (nodes: TreeNode[]) => new Map(nodes.map((n) => [n.name, n]));
const same = (now: TreeNode[], before: TreeNode[]) => sameNodes(now, byName(before), before.length, (n) => n.name);

test('nodes equal field for field are the same; any difference, a field more or less, or another count is not', () => {
  const other: TreeNode = { name: 'd', type: 'dir', mode: 0o755, mtimeNs: '7', subtree: 'e'.repeat(64) };
  expect(same([{ ...FILE, content: [...FILE.content!], xattrs: [{ name: 'user.k', value: 'dg==' }] }, other], [other, FILE])).toBe(true);
  for (const changed of [{ ...FILE, mode: 0o600 }, { ...FILE, content: ['f'.repeat(64)] }, { ...FILE, xattrs: [] }, { ...FILE, xattrs: [{ name: 'user.k', value: 'dw==' }] }, { ...FILE, uid: 0 }, { ...FILE, name: 'b' }]) {
    expect([changed, same([changed, other], [FILE, other])]).toEqual([changed, false]);
  }
  const { xattrs: _dropped, ...withoutXattrs } = FILE;
  expect(same([withoutXattrs, other], [FILE, other])).toBe(false);
  expect(same([FILE], [FILE, other])).toBe(false);
  expect(same([FILE, other], [FILE])).toBe(false);
  // A previous tree naming one entry twice is not reused either.
  expect(same([FILE, other], [FILE, FILE, other])).toBe(false);
  expect(same([{ ...FILE, extra: 1 } as TreeNode], [FILE])).toBe(false);
});

test("a backup reuses the trees of unchanged directories and writes new ones for changed directories and their ancestors", async () => {
  const repo = await Repository.init(new LocalStorage(tempDir('repo')), 'same nodes');
  const source = tempDir('src');
  for (const dir of ['z/x1', 'z/x2', 'other']) {
    fs.mkdirSync(path.join(source, dir), { recursive: true });
    fs.writeFileSync(path.join(source, dir, 'tile.pbf'), dir);
  }
  const first = await backup(repo, { source, type: 'full', threads: 0 });
  const snapshotTrees = async () => (await listSnapshots(repo)).map((s) => s.tree);
  const encoded = jest.spyOn(BlobStore.prototype, 'storeTree');
  const unchanged = await backup(repo, { source, type: 'incremental', threads: 0 });
  expect(unchanged.stats).toMatchObject({ filesUnmodified: 3, bytesAdded: 0 });
  // No tree was encoded: every directory's is the parent snapshot's.
  expect(encoded).not.toHaveBeenCalled();
  const [t1, t2] = await snapshotTrees();
  expect(t2).toBe(t1);

  // Each edit, and the trees encoded for it: its directory and each ancestor, root included.
  const edits: [string, () => void, number][] = [
    ['mode', () => fs.chmodSync(path.join(source, 'z/x1/tile.pbf'), 0o600), 3],
    ['content', () => fs.writeFileSync(path.join(source, 'z/x2/tile.pbf'), 'changed'), 3],
    ['new name', () => fs.renameSync(path.join(source, 'other/tile.pbf'), path.join(source, 'other/tile.png')), 2],
  ];
  let previous = first.snapshotId;
  for (const [what, edit, trees] of edits) {
    const facts = describeTree(source);
    edit();
    encoded.mockClear();
    const after = await backup(repo, { source, type: 'incremental', threads: 0 });
    expect([what, encoded.mock.calls.length]).toEqual([what, trees]);
    const all = await listSnapshots(repo);
    expect([what, all.find((s) => s.id === after.snapshotId)!.tree === all.find((s) => s.id === previous)!.tree]).toEqual([what, false]);
    expect(facts).not.toEqual(describeTree(source));
    const target = tempDir(`restored-${what.replace(' ', '-')}`);
    await restore(repo, after.snapshotId, { target });
    expectSameTree(source, target);
    previous = after.snapshotId;
  }
  // The first snapshot, whose trees the later ones partly share, still restores as it was.
  const target = tempDir('restored-first');
  await restore(repo, first.snapshotId, { target });
  expect(fs.readFileSync(path.join(target, 'z/x2/tile.pbf'), 'utf8')).toBe('z/x2');
  expect(fs.existsSync(path.join(target, 'other/tile.pbf'))).toBe(true);
});

afterEach(() => jest.restoreAllMocks());
