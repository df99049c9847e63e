// Per-blob compression. Each blob records the numeric id of the codec that wrote it, so data
// written with any codec stays readable whatever the repository's current setting is.

import { gunzipSync, gzipSync } from 'node:zlib';
import type * as Lz4 from 'lz4-napi';
import { CCtx, compressBound, CParameter, DCtx } from 'zstd-napi/binding';
import { integrityError } from './errors.js';
import type { CompressionLevel, CompressionName } from './optionChoices.js';

export { COMPRESSION_LEVELS, COMPRESSION_NAMES, type CompressionLevel, type CompressionName } from './optionChoices.js';

/** Codec ids as stored in the repository: never renumber. */
export const CODEC_IDS: Readonly<Record<CompressionName, number>> = { none: 0, zstd: 1, lz4: 2, gzip: 3 };

// zstd's own default is level 3. On 1 MiB chunks of the benchmark's GIS data level 2 is about a
// quarter faster and no larger (GeoJSON 5% smaller, smooth rasters 2% larger), so it is ours.
const ZSTD_LEVELS: Record<CompressionLevel, number> = { fastest: 1, default: 2, better: 7, best: 19 };
const GZIP_LEVELS: Record<CompressionLevel, number> = { fastest: 1, default: 6, better: 9, best: 9 };

// One zstd context per level (created on first use) and one for decompression, reused by every
// call, and one output buffer that grows to the largest bound seen: no allocation per blob.
const zstdCompressors = new Map<CompressionLevel, CCtx>();
let zstdDecompressor: DCtx | undefined;
let zstdScratch = Buffer.allocUnsafeSlow(0);

/** The result is a view into the scratch buffer: valid until the next call. */
function zstdCompress(data: Uint8Array, level: CompressionLevel): Uint8Array {
  let compressor = zstdCompressors.get(level);
  if (!compressor) {
    compressor = new CCtx();
    compressor.setParameter(CParameter.compressionLevel, ZSTD_LEVELS[level]);
    zstdCompressors.set(level, compressor);
  }
  const bound = compressBound(data.length);
  if (zstdScratch.length < bound) zstdScratch = Buffer.allocUnsafeSlow(bound);
  return zstdScratch.subarray(0, compressor.compress2(zstdScratch, data));
}

// The output buffer of decompressBlobReusing, grown to the largest blob seen (one per thread).
let zstdOutput = Buffer.allocUnsafeSlow(0);

function zstdDecompress(bytes: Uint8Array, rawLength: number, reuse: boolean): Uint8Array {
  // Decompress into a buffer of the length the index recorded: a damaged frame header cannot
  // make us allocate more, and output that does not fit fails inside zstd.
  zstdDecompressor ??= new DCtx();
  let out: Buffer;
  if (reuse) {
    if (zstdOutput.length < rawLength) zstdOutput = Buffer.allocUnsafeSlow(rawLength);
    out = zstdOutput.subarray(0, rawLength);
  } else {
    out = Buffer.allocUnsafe(rawLength);
  }
  const written = zstdDecompressor.decompress(out, bytes);
  return out.subarray(0, written);
}

const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

let lz4Module: typeof Lz4 | undefined;

/** lz4-napi, loaded on first use: most repositories never use it, and every command opening one paid ~7 ms for it. */
function lz4(): typeof Lz4 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (lz4Module ??= require('lz4-napi') as typeof Lz4);
}

/** lz4-napi blocks start with the raw length as a little-endian uint32; checked before decoding. */
function lz4Decompress(bytes: Uint8Array, rawLength: number): Uint8Array {
  const declared = bytes.length >= 4 ? asBuffer(bytes).readUInt32LE(0) : -1;
  if (declared !== rawLength) throw new Error(`lz4 block declares ${declared} bytes`);
  return lz4().uncompressSync(bytes);
}

/**
 * Compresses one blob, or keeps it raw when that does not shrink it. The bytes returned may be a
 * view into a buffer the next call reuses: seal or copy them before compressing again.
 */
export function compressBlob(
  data: Uint8Array,
  name: CompressionName,
  level: CompressionLevel,
): { codec: number; bytes: Uint8Array } {
  let bytes: Uint8Array;
  switch (name) {
    case 'none':
      return { codec: CODEC_IDS.none, bytes: data };
    case 'zstd':
      bytes = zstdCompress(data, level);
      break;
    case 'lz4':
      bytes = lz4().compressSync(asBuffer(data));
      break;
    case 'gzip':
      bytes = gzipSync(data, { level: GZIP_LEVELS[level] });
      break;
  }
  return bytes.length < data.length ? { codec: CODEC_IDS[name], bytes } : { codec: CODEC_IDS.none, bytes: data };
}

export function decompressBlob(codec: number, bytes: Uint8Array, rawLength: number): Uint8Array {
  return decompress(codec, bytes, rawLength, false);
}

/**
 * decompressBlob for a caller that consumes the result at once (restore writes it out): zstd
 * output lands in a buffer that this thread's next call overwrites, which saves allocating,
 * page-faulting and collecting a fresh buffer per blob.
 */
export function decompressBlobReusing(codec: number, bytes: Uint8Array, rawLength: number): Uint8Array {
  return decompress(codec, bytes, rawLength, true);
}

function decompress(codec: number, bytes: Uint8Array, rawLength: number, reuse: boolean): Uint8Array {
  let out: Uint8Array;
  try {
    switch (codec) {
      case CODEC_IDS.none:
        out = bytes;
        break;
      case CODEC_IDS.zstd:
        out = zstdDecompress(bytes, rawLength, reuse);
        break;
      case CODEC_IDS.lz4:
        out = lz4Decompress(bytes, rawLength);
        break;
      case CODEC_IDS.gzip:
        out = gunzipSync(bytes, { maxOutputLength: Math.max(rawLength, 1) });
        break;
      default:
        throw new Error(`unknown codec ${codec}`);
    }
  } catch (cause) {
    throw integrityError(`a blob compressed with codec ${codec}`, cause);
  }
  if (out.length !== rawLength) {
    throw integrityError(`a blob compressed with codec ${codec}`, new Error(`expected ${rawLength} bytes, got ${out.length}`));
  }
  return out;
}
