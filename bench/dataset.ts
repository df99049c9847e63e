// A deterministic GIS-like dataset of a chosen size, and an edit step that changes about 5% of
// it: elevation rasters (smooth, compressible), imagery tiles (incompressible), GeoJSON feature
// collections (text), many small vector tiles (1–64 KiB) and a few large files.

import fs from 'node:fs';
import path from 'node:path';

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(length: number, random: () => number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i + 4 <= length; i += 4) out.writeUInt32LE((random() * 4294967296) >>> 0, i);
  for (let i = length - (length % 4); i < length; i++) out[i] = (random() * 256) | 0;
  return out;
}

/** A smooth Int16 elevation grid with a little noise: compresses about 2–4×. */
function elevationRaster(side: number, random: () => number): Buffer {
  const out = Buffer.allocUnsafe(side * side * 2);
  const fx = 0.5 + random() * 3;
  const fy = 0.5 + random() * 3;
  const base = random() * 2000;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const h = base + 300 * Math.sin((x / side) * fx * Math.PI) * Math.cos((y / side) * fy * Math.PI) + ((random() * 4) | 0);
      out.writeInt16LE(Math.round(h), (y * side + x) * 2);
    }
  }
  return out;
}

function geojson(targetBytes: number, random: () => number): Buffer {
  const parts: string[] = ['{"type":"FeatureCollection","features":['];
  let size = parts[0]!.length;
  for (let i = 0; size < targetBytes; i++) {
    const lon = (random() * 360 - 180).toFixed(6);
    const lat = (random() * 170 - 85).toFixed(6);
    const f = `${i ? ',' : ''}{"type":"Feature","id":${i},"properties":{"name":"parcel-${(random() * 1e6) | 0}","landuse":"${['residential', 'forest', 'water', 'farmland', 'industrial'][(random() * 5) | 0]}","area_m2":${(random() * 1e5).toFixed(2)}},"geometry":{"type":"Point","coordinates":[${lon},${lat}]}}`;
    parts.push(f);
    size += f.length;
  }
  parts.push(']}');
  return Buffer.from(parts.join(''));
}

/** A vector-tile-like blob: a repeated structure with random coordinates. */
function vectorTile(length: number, random: () => number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = i % 8 < 3 ? [0x1a, 0x22, 0x0a][i % 8]! : (random() * 256) | 0;
  return out;
}

export interface DatasetSummary {
  files: number;
  bytes: number;
}

function write(file: string, data: Buffer, summary: DatasetSummary): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  summary.files += 1;
  summary.bytes += data.length;
}

/** Writes the dataset under root: 30% imagery, 25% elevation, 25% GeoJSON, 10% vector tiles, 10% large files. */
export function generateDataset(root: string, totalBytes: number, seed = 42): DatasetSummary {
  const random = prng(seed);
  const summary: DatasetSummary = { files: 0, bytes: 0 };
  const share = (f: number) => Math.max(1, Math.floor(totalBytes * f));

  for (let i = 0, done = 0; done < share(0.3); i++) {
    const size = Math.min(4 * 1024 * 1024, share(0.3) - done);
    write(path.join(root, 'imagery', `z12`, `x${i % 16}`, `tile-${i}.tif`), randomBytes(size, random), summary);
    done += size;
  }
  for (let i = 0, done = 0; done < share(0.25); i++) {
    const side = Math.min(1024, Math.max(16, Math.floor(Math.sqrt((share(0.25) - done) / 2))));
    const data = elevationRaster(side, random);
    write(path.join(root, 'elevation', `dem-${i}.bil`), data, summary);
    done += data.length;
  }
  for (let i = 0, done = 0; done < share(0.25); i++) {
    const data = geojson(Math.min(4 * 1024 * 1024, share(0.25) - done), random);
    write(path.join(root, 'vector', `parcels-${i}.geojson`), data, summary);
    done += data.length;
  }
  for (let i = 0, done = 0; done < share(0.1); i++) {
    const size = 1024 + Math.floor(random() * 63 * 1024);
    write(path.join(root, 'tiles', `${i % 10}`, `${(i / 10) | 0}.pbf`), vectorTile(size, random), summary);
    done += size;
  }
  const half = Math.floor(share(0.1) / 2);
  write(path.join(root, 'archive', 'basemap.gpkg'), Buffer.concat([geojson(half, random).subarray(0, half), randomBytes(half, random)]), summary);
  return summary;
}

/** Changes about 5% of the dataset: whole rewrites, a mid-file overwrite, appends, added and deleted small files. */
export function editDataset(root: string, seed = 7): { changedBytes: number } {
  const random = prng(seed);
  let changedBytes = 0;
  const list = (dir: string) => (fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort() : []);
  const total = list('').reduce((n, f) => n + fs.statSync(f).size, 0);
  const budget = total * 0.05;

  const vectors = list('vector');
  for (let i = 0; i < vectors.length && changedBytes < budget * 0.4; i += 3) {
    const size = fs.statSync(vectors[i]!).size;
    fs.writeFileSync(vectors[i]!, geojson(size, random));
    changedBytes += size;
  }
  const big = path.join(root, 'archive', 'basemap.gpkg');
  if (fs.existsSync(big)) {
    const size = fs.statSync(big).size;
    const patch = randomBytes(Math.min(size, Math.floor(budget * 0.2)), random);
    const fd = fs.openSync(big, 'r+');
    fs.writeSync(fd, patch, 0, patch.length, Math.floor(size / 2 - patch.length / 2));
    fs.closeSync(fd);
    changedBytes += patch.length;
  }
  const rasters = list('elevation');
  for (let i = 0; i < rasters.length && i < 3; i++) {
    const tail = randomBytes(Math.floor(budget * 0.05), random);
    fs.appendFileSync(rasters[i]!, tail);
    changedBytes += tail.length;
  }
  const tiles = list('tiles');
  for (let i = 0; i < tiles.length; i += 20) fs.rmSync(tiles[i]!);
  for (let i = 0; changedBytes < budget; i++) {
    const data = vectorTile(1024 + Math.floor(random() * 63 * 1024), random);
    const file = path.join(root, 'tiles', 'new', `${i}.pbf`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
    changedBytes += data.length;
  }
  return { changedBytes };
}
