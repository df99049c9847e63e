// A deterministic GIS tile tree `z/x/y.pbf` (and `.png`) for the scale scenario: zoom levels
// filled from the top of the pyramid down, each x column a directory of up to TILE_ROWS y tiles,
// 1–20 KiB each; two tiles in three are vector tiles (protobuf-like: tag bytes, layer keys and
// zig-zag varint coordinate deltas, compressible), one in three raster tiles (incompressible).

import { createCipheriv } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { prng } from './dataset.js';

/** y tiles per x directory at most: a tile server's region is a few hundred rows high. */
export const TILE_ROWS = 256;
const MIN_TILE = 1024;
const MAX_TILE = 20 * 1024;

export interface TileTree {
  files: number;
  bytes: number;
  directories: number;
}

/** Writes `count` tiles under `root` (same bytes for the same count and seed). */
export function writeTileTree(root: string, count: number, seed = 7): TileTree {
  const random = prng(seed);
  const noise = incompressibleStream(seed);
  const tree: TileTree = { files: 0, bytes: 0, directories: 0 };
  for (const { z, x, rows } of tileColumns(count)) {
    const dir = path.join(root, String(z), String(x));
    fs.mkdirSync(dir, { recursive: true });
    tree.directories += 1;
    for (let y = 0; y < rows; y++) {
      const size = MIN_TILE + Math.floor(random() * (MAX_TILE - MIN_TILE + 1));
      const raster = random() < 1 / 3;
      const body = raster ? noise(size) : vectorTile(size, random);
      fs.writeFileSync(path.join(dir, `${y}.${raster ? 'png' : 'pbf'}`), body);
      tree.files += 1;
      tree.bytes += size;
    }
  }
  return tree;
}

/** The x columns of the pyramid, zoom by zoom, with how many y tiles each holds, `count` tiles in all. */
export function* tileColumns(count: number): Generator<{ z: number; x: number; rows: number }> {
  let left = count;
  for (let z = 0; left > 0; z++) {
    const side = 2 ** z;
    const rowsPerColumn = Math.min(side, TILE_ROWS);
    for (let x = 0; x < side && left > 0; x++) {
      const rows = Math.min(rowsPerColumn, left);
      left -= rows;
      yield { z, x, rows };
    }
  }
}

const LAYER_KEYS = ['water', 'landuse', 'building', 'road', 'poi', 'place', 'boundary', 'transportation'].map((k) => Buffer.from(k));

/** Protobuf-like bytes: feature records of a tag, a layer key and a run of small zig-zag varints. */
function vectorTile(size: number, random: () => number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    out[at++] = 0x1a;
    const key = LAYER_KEYS[(random() * LAYER_KEYS.length) | 0]!;
    at += key.copy(out, at);
    const points = 4 + ((random() * 24) | 0);
    let x = 2048;
    for (let p = 0; p < points && at < size; p++) {
      const delta = ((random() * 64) | 0) - 32;
      x += delta;
      out[at++] = ((delta << 1) ^ (delta >> 31)) & 0x7f;
      if (at < size) out[at++] = (x >> 4) & 0x7f;
    }
  }
  return out;
}

/** Deterministic incompressible bytes (AES-CTR over zeros), much faster than a JS PRNG per byte. */
function incompressibleStream(seed: number): (size: number) => Buffer {
  const key = Buffer.alloc(16, seed & 0xff);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return (size) => cipher.update(Buffer.alloc(size));
}
