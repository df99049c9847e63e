// The backup hot path against its limit, on one core and the same bytes: chunk + hash +
// compress + seal (what an encoder thread does per byte) next to raw zstd alone.

import fs from 'node:fs';
import path from 'node:path';
import { encodeBlob } from '../core/blobCodec.js';
import { Chunker, DEFAULT_CHUNKER } from '../core/chunker.js';
import { compressBlob } from '../core/compression.js';
import { blobId, generateMasterKeys, randomId } from '../core/crypto.js';

export interface HotPathResult {
  bytes: number;
  rawZstdMBps: number;
  pipelineMBps: number;
  /** pipeline ÷ raw zstd throughput: how close the whole path runs to compression alone. */
  ratio: number;
}

/** Reads up to `limit` bytes of the dataset's files, round-robin over its folders. */
function sample(root: string, limit: number): Buffer {
  const files = fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < limit && i < files.length; i++) {
    const data = fs.readFileSync(files[(i * 7919) % files.length]!);
    parts.push(data);
    size += data.length;
  }
  return Buffer.concat(parts).subarray(0, limit);
}

function timed(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export function measureHotPath(datasetRoot: string, limit = 256 * 1024 * 1024): HotPathResult {
  const data = sample(datasetRoot, limit);
  const keys = generateMasterKeys();
  const settings = { keys, compression: 'zstd' as const, compressionLevel: 'default' as const };
  const rawSeconds = timed(() => {
    for (let at = 0; at < data.length; at += 1024 * 1024) compressBlob(data.subarray(at, at + 1024 * 1024), 'zstd', 'default');
  });
  const chunker = new Chunker({ ...DEFAULT_CHUNKER, seed: randomId() });
  const pipelineSeconds = timed(() => {
    for (let at = 0; at < data.length; ) {
      const length = chunker.cut(data, at, data.length, true);
      const chunk = data.subarray(at, at + length);
      encodeBlob(settings, 'data', chunk, blobId(keys, chunk));
      at += length;
    }
  });
  const mbps = (seconds: number) => Math.round(data.length / 1e6 / seconds);
  return { bytes: data.length, rawZstdMBps: mbps(rawSeconds), pipelineMBps: mbps(pipelineSeconds), ratio: Math.round((rawSeconds / pipelineSeconds) * 100) / 100 };
}
