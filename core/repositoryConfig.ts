// The repository's `config` file: format version, id and the parameters every writer must use.

import { CHUNKER_SEED_PATTERN, ChunkerParams, DEFAULT_CHUNKER, validateChunkerParams } from './chunker.js';
import { COMPRESSION_LEVELS, COMPRESSION_NAMES, CompressionLevel, CompressionName } from './compression.js';
import { invalidArgument } from './errors.js';
import { boolean, integer, jsonShape, matching, object, oneOf } from './jsonShape.js';
import { DEFAULT_PACK_SIZE_MIB } from './optionChoices.js';

/**
 * The repository format this code reads and writes. 2: keyed chunker (gear table from a seed in
 * the config), tree and data blobs in separate packs, and the version also in the config file's
 * outer envelope, so that it is checked before any key is tried.
 */
export const REPOSITORY_VERSION = 2;
export { DEFAULT_PACK_SIZE_MIB } from './optionChoices.js';

export interface RepositoryConfig {
  version: typeof REPOSITORY_VERSION;
  id: string;
  encrypted: boolean;
  chunker: ChunkerParams & { seed: string };
  compression: CompressionName;
  compressionLevel: CompressionLevel;
  packSize: number;
}

export const RepositoryConfigShape = jsonShape<RepositoryConfig>(
  object({
    version: oneOf(REPOSITORY_VERSION),
    id: matching(/^[0-9a-f]{64}$/, '64 hex digits'),
    encrypted: boolean,
    chunker: object({ min: integer(), avg: integer(), max: integer(), seed: matching(CHUNKER_SEED_PATTERN, '64 hex digits') }),
    compression: oneOf(...COMPRESSION_NAMES),
    compressionLevel: oneOf(...COMPRESSION_LEVELS),
    packSize: integer(1),
  }),
);

export interface InitOptions {
  encryption?: boolean;
  compression?: CompressionName;
  compressionLevel?: CompressionLevel;
  chunker?: Partial<ChunkerParams>;
  packSizeMiB?: number;
}

/** `chunkerSeed` is 32 random bytes in hex (the gear table of the repository's chunker). */
export function buildConfig(id: string, chunkerSeed: string, options: InitOptions): RepositoryConfig {
  const packSizeMiB = options.packSizeMiB ?? DEFAULT_PACK_SIZE_MIB;
  if (!Number.isFinite(packSizeMiB) || packSizeMiB < 1 || packSizeMiB > 512) {
    throw invalidArgument(`pack size must be between 1 and 512 MiB, got ${packSizeMiB}`);
  }
  return {
    version: REPOSITORY_VERSION,
    id,
    encrypted: options.encryption ?? true,
    chunker: { ...validateChunkerParams({ ...DEFAULT_CHUNKER, ...options.chunker }), seed: chunkerSeed },
    compression: options.compression ?? 'zstd',
    compressionLevel: options.compressionLevel ?? 'default',
    packSize: Math.round(packSizeMiB * 1024 * 1024),
  };
}
