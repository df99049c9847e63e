// The repository's `config` file: format version, id and the parameters every writer must use.

import { z } from 'zod';
import { ChunkerParams, DEFAULT_CHUNKER, validateChunkerParams } from './chunker.js';
import { COMPRESSION_LEVELS, COMPRESSION_NAMES, CompressionLevel, CompressionName } from './compression.js';
import { invalidArgument } from './errors.js';

export const REPOSITORY_VERSION = 1;
export const DEFAULT_PACK_SIZE_MIB = 16;

export const RepositoryConfigSchema = z.object({
  version: z.literal(REPOSITORY_VERSION),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  encrypted: z.boolean(),
  chunker: z.object({ min: z.number().int(), avg: z.number().int(), max: z.number().int() }),
  compression: z.enum(COMPRESSION_NAMES as [CompressionName, ...CompressionName[]]),
  compressionLevel: z.enum(COMPRESSION_LEVELS as [CompressionLevel, ...CompressionLevel[]]),
  packSize: z.number().int().positive(),
});
export type RepositoryConfig = z.infer<typeof RepositoryConfigSchema>;

export interface InitOptions {
  encryption?: boolean;
  compression?: CompressionName;
  compressionLevel?: CompressionLevel;
  chunker?: Partial<ChunkerParams>;
  packSizeMiB?: number;
}

export function buildConfig(id: string, options: InitOptions): RepositoryConfig {
  const packSizeMiB = options.packSizeMiB ?? DEFAULT_PACK_SIZE_MIB;
  if (!Number.isFinite(packSizeMiB) || packSizeMiB < 1 || packSizeMiB > 512) {
    throw invalidArgument(`pack size must be between 1 and 512 MiB, got ${packSizeMiB}`);
  }
  return {
    version: REPOSITORY_VERSION,
    id,
    encrypted: options.encryption ?? true,
    chunker: validateChunkerParams({ ...DEFAULT_CHUNKER, ...options.chunker }),
    compression: options.compression ?? 'zstd',
    compressionLevel: options.compressionLevel ?? 'default',
    packSize: Math.round(packSizeMiB * 1024 * 1024),
  };
}
