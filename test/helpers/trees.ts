// Test data on real disks: deterministic pseudo-random trees, and an exact comparison of two
// trees (names as bytes, content, type, mode, mtime to the millisecond, symlink targets, empty
// files and dirs).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printable } from '../../core/fileNames';

const madeDirs: string[] = [];
// Each test file loads this module afresh: its temporary directories go when the file is done.
afterAll(() => {
  for (const dir of madeDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `meridian-${prefix}-`));
  madeDirs.push(dir);
  return dir;
}

/** Deterministic bytes (xorshift), incompressible. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (; i < length; i++) out[i] = i & 0xff;
  return out;
}

export interface TreeSpec {
  /** Number of small files, spread over nested directories. */
  smallFiles?: number;
  /** Sizes of large pseudo-random files at the top. */
  largeFiles?: number[];
  seed?: number;
}

/** Writes a tree with nested dirs, small JSON-ish and binary files, large files, a symlink, empty file and dirs, odd modes. */
export function writeTree(root: string, spec: TreeSpec = {}): void {
  const seed = spec.seed ?? 1;
  fs.mkdirSync(path.join(root, 'empty-dir', 'nested-empty'), { recursive: true });
  fs.writeFileSync(path.join(root, 'empty-file'), '');
  (spec.largeFiles ?? []).forEach((size, i) => fs.writeFileSync(path.join(root, `large-${i}.bin`), pseudoRandomBytes(size, seed * 1000 + i)));
  for (let i = 0; i < (spec.smallFiles ?? 20); i++) {
    const dir = path.join(root, 'tiles', `z${i % 7}`, `x${i % 13}`);
    fs.mkdirSync(dir, { recursive: true });
    const body = i % 3 === 0 ? pseudoRandomBytes(100 + ((i * 37) % 4000), seed + i) : Buffer.from(JSON.stringify({ type: 'Feature', id: i, seed, geometry: { type: 'Point', coordinates: [i, i * 2] } }));
    fs.writeFileSync(path.join(dir, `f${i}.dat`), body);
  }
  fs.writeFileSync(path.join(root, 'script.sh'), '#!/bin/sh\necho hi\n');
  fs.chmodSync(path.join(root, 'script.sh'), 0o751);
  fs.symlinkSync('tiles', path.join(root, 'link-to-tiles'));
  fs.symlinkSync('/nonexistent/target', path.join(root, 'dangling-link'));
  const past = new Date('2021-03-04T05:06:07.891Z');
  fs.utimesSync(path.join(root, 'empty-file'), past, past);
  fs.utimesSync(path.join(root, 'empty-dir'), past, past);
}

interface EntryFacts {
  type: string;
  mode: number;
  mtimeMs: number;
  size?: number;
  hash?: string;
  target?: string;
}

/**
 * Every entry under root (relative path → facts). Names are read as bytes, so names that are not
 * UTF-8 count; a path's key shows such bytes (and control characters, and backslashes) escaped.
 */
export function describeTree(root: string): Map<string, EntryFacts> {
  const out = new Map<string, EntryFacts>();
  const walk = (dir: Buffer, rel: string) => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
      const r = rel ? `${rel}/${printable(name)}` : printable(name);
      const abs = Buffer.concat([dir, Buffer.from('/'), name]);
      const st = fs.lstatSync(abs);
      const base = { mode: st.mode & 0o7777, mtimeMs: Math.floor(st.mtimeMs) };
      if (st.isDirectory()) {
        out.set(r, { type: 'dir', ...base });
        walk(abs, r);
      } else if (st.isSymbolicLink()) {
        out.set(r, { type: 'symlink', ...base, target: printable(fs.readlinkSync(abs, { encoding: 'buffer' })) });
      } else {
        out.set(r, { type: 'file', ...base, size: st.size, hash: createHash('sha256').update(fs.readFileSync(abs)).digest('hex') });
      }
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

/** Asserts two trees are identical (or a tree matches facts taken earlier), naming the first difference. */
export function expectSameTree(expected: string | Map<string, EntryFacts>, actual: string): void {
  const a = typeof expected === 'string' ? describeTree(expected) : expected;
  const b = describeTree(actual);
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [rel, facts] of a) expect({ rel, ...b.get(rel) }).toEqual({ rel, ...facts });
}
