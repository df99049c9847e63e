// The values the engine's options take, and their defaults, in a module without dependencies: the
// CLI's parser and help read them on every command without loading the engine (zod, the codecs).
// Each engine module re-exports its own, so its callers need not know they live here.

export type CompressionName = 'zstd' | 'lz4' | 'gzip' | 'none';
export type CompressionLevel = 'fastest' | 'default' | 'better' | 'best';

export const COMPRESSION_NAMES: readonly CompressionName[] = ['zstd', 'lz4', 'gzip', 'none'];
export const COMPRESSION_LEVELS: readonly CompressionLevel[] = ['fastest', 'default', 'better', 'best'];

export const DEFAULT_PACK_SIZE_MIB = 16;

export const BACKUP_TYPES = ['full', 'incremental', 'differential'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

export const VERIFY_LEVELS = ['quick', 'standard', 'deep'] as const;
export type VerifyLevel = (typeof VERIFY_LEVELS)[number];

export const GROUP_BY = ['host,source', 'host', 'source', 'tags', 'none'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const DEFAULT_MAX_UNUSED_PERCENT = 5;

/** An immutable repository's Object Lock mode (core/immutablePolicy.ts). */
export const IMMUTABLE_MODES = ['governance', 'compliance'] as const;
