// The batched native lstat of a backup's walk (core/entryStats.ts) gives what Node's bigint lstat
// gives, entry by entry: regular files, hard links, directories, symlinks, a FIFO, a device node,
// times before 1970 and with nanoseconds; across batch boundaries; and an entry that fails (gone
// between listing and lstat, or a name too long) throws Node's own error.

import fs from 'node:fs';
import path from 'node:path';
import { DirectoryStats, entryKind, entryStatOf } from '../../core/entryStats';
import { makeNode, S_IFIFO, setTimesNs } from '../../core/nativeFs';
import { tempDir } from '../helpers/trees';

function expectSameAsNode(dir: string, names: string[], stats = new DirectoryStats()): void {
  names.forEach((name, i) => {
    const abs = path.join(dir, name);
    expect([name, stats.of(dir, names, i, abs)]).toEqual([name, entryStatOf(fs.lstatSync(abs, { bigint: true }))]);
  });
}

test('every kind of entry is read as Node reads it', () => {
  const dir = tempDir('entry-stats');
  fs.writeFileSync(path.join(dir, 'file'), 'x'.repeat(1234));
  fs.linkSync(path.join(dir, 'file'), path.join(dir, 'hard-link'));
  fs.mkdirSync(path.join(dir, 'sub'), 0o750);
  fs.symlinkSync('file', path.join(dir, 'symlink'));
  makeNode(path.join(dir, 'fifo'), S_IFIFO, 0o640, 0n);
  fs.writeFileSync(path.join(dir, 'old'), '');
  setTimesNs(path.join(dir, 'old'), '-1500000001', false);
  fs.writeFileSync(path.join(dir, 'precise'), '');
  setTimesNs(path.join(dir, 'precise'), '1700000000000000007', false);
  const names = fs.readdirSync(dir);
  expectSameAsNode(dir, names);
  const kinds = Object.fromEntries(names.map((name, i) => [name, entryKind(new DirectoryStats().of(dir, names, i, path.join(dir, name)))]));
  expect(kinds).toEqual({ file: 'file', 'hard-link': 'file', sub: 'dir', symlink: 'symlink', fifo: 'fifo', old: 'file', precise: 'file' });
  // A character device: /dev/null's device number and rdev.
  expectSameAsNode('/dev', ['null', 'zero']);
  expect(entryKind(new DirectoryStats().of('/dev', ['null'], 0, '/dev/null'))).toBe('chardev');
});

test('a directory of more names than one batch holds is read batch after batch, also out of order', () => {
  const dir = tempDir('entry-stats-batches');
  for (let i = 0; i < 2500; i++) fs.writeFileSync(path.join(dir, `f${i}`), String(i));
  const names = fs.readdirSync(dir);
  const stats = new DirectoryStats();
  expectSameAsNode(dir, names, stats);
  // Back to the first batch after the last, and another listing of the same directory.
  expectSameAsNode(dir, names.slice(0, 3), stats);
  expect(stats.of(dir, names, 2, path.join(dir, names[2]!)).size).toBe(fs.statSync(path.join(dir, names[2]!)).size);
});

test("an entry that cannot be read throws Node's error; a vanished directory does too", () => {
  const dir = tempDir('entry-stats-errors');
  fs.writeFileSync(path.join(dir, 'kept'), 'k');
  const names = ['kept', 'gone', 'n'.repeat(300)];
  const stats = new DirectoryStats();
  expect(stats.of(dir, names, 0, path.join(dir, 'kept')).size).toBe(1);
  expect(() => stats.of(dir, names, 1, path.join(dir, 'gone'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'lstat' }) as Error);
  expect(() => stats.of(dir, names, 2, path.join(dir, names[2]!))).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG', syscall: 'lstat' }) as Error);
  const vanished = path.join(dir, 'vanished');
  expect(() => new DirectoryStats().of(vanished, ['a'], 0, path.join(vanished, 'a'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'lstat' }) as Error);
});
