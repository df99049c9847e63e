// The benchmark's tile tree (bench/tiles.ts): the count asked for, a pyramid of z/x directories
// of at most TILE_ROWS tiles, tiles of 1–20 KiB in two kinds, the same bytes every time.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TILE_ROWS, tileColumns, writeTileTree } from '../../bench/tiles';
import { tempDir } from '../helpers/trees';

function digestTree(root: string): { digest: string; files: string[] } {
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((rel) => fs.statSync(path.join(root, rel)).isFile()).sort();
  const hash = createHash('sha256');
  for (const rel of files) hash.update(rel).update(fs.readFileSync(path.join(root, rel)));
  return { digest: hash.digest('hex'), files };
}

test('the tile tree has the count asked for, z/x/y layout, tile sizes and kinds, and is the same every time', () => {
  const [a, b] = [tempDir('tiles-a'), tempDir('tiles-b')];
  const written = writeTileTree(a, 600);
  writeTileTree(b, 600);
  const tree = digestTree(a);
  expect(tree.digest).toBe(digestTree(b).digest);
  expect(tree.files).toHaveLength(600);
  expect(written.files).toBe(600);
  expect(written.bytes).toBe(tree.files.reduce((sum, rel) => sum + fs.statSync(path.join(a, rel)).size, 0));
  for (const rel of tree.files) {
    expect(rel).toMatch(/^\d+\/\d+\/\d+\.(pbf|png)$/);
    const size = fs.statSync(path.join(a, rel)).size;
    expect(size >= 1024 && size <= 20 * 1024).toBe(true);
  }
  const kinds = new Set(tree.files.map((rel) => path.extname(rel)));
  expect([...kinds].sort()).toEqual(['.pbf', '.png']);
});

test('columns fill the pyramid zoom by zoom with at most TILE_ROWS tiles each', () => {
  const columns = [...tileColumns(100_000)];
  expect(columns.reduce((sum, c) => sum + c.rows, 0)).toBe(100_000);
  expect(Math.max(...columns.map((c) => c.rows))).toBe(TILE_ROWS);
  expect(columns.slice(0, 5)).toEqual([
    { z: 0, x: 0, rows: 1 },
    { z: 1, x: 0, rows: 2 },
    { z: 1, x: 1, rows: 2 },
    { z: 2, x: 0, rows: 4 },
    { z: 2, x: 1, rows: 4 },
  ]);
});
