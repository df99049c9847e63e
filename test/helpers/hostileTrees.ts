// Source trees no string-based file API could back up: names that are not UTF-8 (files, a
// directory with children, a symlink target, two names a lossy decoding would merge), backslashes,
// newlines, 255-byte names; and a tree deeper than the 4,096-byte path limit.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A path below `root` from name parts given as bytes (strings are UTF-8). */
const at = (root: string, ...parts: (string | Buffer)[]) => Buffer.concat([Buffer.from(root), ...parts.flatMap((p) => [Buffer.from('/'), Buffer.from(p)])]);
const latin1 = (name: string) => Buffer.from(name, 'latin1');

/** Writes 13 files (and a directory, a subdirectory and a symlink) with hostile names under root. */
export function writeHostileNames(root: string): void {
  fs.writeFileSync(at(root, latin1('\xff\xfe.tif')), 'not UTF-8: \\xff\\xfe.tif');
  const dir = latin1('dir\xe9');
  fs.mkdirSync(at(root, dir));
  fs.writeFileSync(at(root, dir, 'child.txt'), 'a child of a directory whose name is latin-1');
  fs.writeFileSync(at(root, dir, latin1('\xe0\x80')), 'an overlong sequence');
  fs.mkdirSync(at(root, dir, latin1('sub\xff')));
  fs.writeFileSync(at(root, dir, latin1('sub\xff'), 'deep.bin'), Buffer.alloc(70_000, 7));
  // Two names that a lossy decoding makes one ("a\uFFFD"):
  fs.writeFileSync(at(root, latin1('a\xff')), 'first');
  fs.writeFileSync(at(root, latin1('a\xfe')), 'second');
  fs.symlinkSync(latin1('t\xfa/x'), at(root, 'link-to-latin1'));
  fs.writeFileSync(path.join(root, 'back\\slash.txt'), 'a backslash is an ordinary byte on POSIX');
  fs.writeFileSync(path.join(root, '\\'), 'only a backslash');
  fs.writeFileSync(path.join(root, 'new\nline'), 'a newline in the name');
  fs.writeFileSync(path.join(root, 'x'.repeat(255)), '255 ASCII bytes');
  fs.writeFileSync(path.join(root, `${'é'.repeat(127)}x`), '255 bytes of two-byte characters');
  fs.writeFileSync(path.join(root, '\u{1F5FA}-map.json'), 'outside the BMP, sorts after U+E000 by bytes');
  fs.writeFileSync(path.join(root, '\uE000-private.json'), 'U+E000');
}

/**
 * Writes twenty nested directories of 250-byte names under root, each made from inside the one
 * above (in a child process, which changes its working directory), so no path handed to the kernel
 * is long; a file at the bottom. Returns the level name, how many levels have paths under 4,096
 * bytes (with the NUL), and how to remove the tree (Node's rmSync cannot: its paths get too long).
 */
export function writeDeepTree(root: string): { level: string; levelsKept: number; remove: () => void } {
  const level = 'd'.repeat(250);
  const makeDeep = `const fs = require('fs'); process.chdir(process.argv[1]);
    for (let i = 0; i < 20; i++) { fs.mkdirSync(process.argv[2]); process.chdir(process.argv[2]); }
    fs.writeFileSync('deep.txt', 'deep');`;
  execFileSync(process.execPath, ['-e', makeDeep, root, level]);
  return {
    level,
    levelsKept: Math.floor((4095 - root.length) / (level.length + 1)),
    remove: () => execFileSync('rm', ['-rf', path.join(root, level)]),
  };
}
