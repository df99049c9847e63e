// The storage configuration, validated with zod: one variant per backend, covering the original
// design's options. Repository URLs parse into it; credentials left out of a URL come from each
// SDK's usual environment and credential chain, resolved in the process that opens the storage.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StorageError } from './storage.js';

const prefix = z.string().default('');

export const StorageConfigSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('local'), path: z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path') }).strict(),
  z
    .object({
      type: z.literal('s3'),
      bucket: z.string().min(1),
      prefix,
      region: z.string().optional(),
      endpoint: z.url().optional(),
      accessKeyId: z.string().optional(),
      secretAccessKey: z.string().optional(),
      pathStyle: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      type: z.literal('gcs'),
      bucket: z.string().min(1),
      prefix,
      projectId: z.string().optional(),
      credentialsFile: z.string().optional(),
      endpoint: z.url().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('azure'),
      account: z.string().min(1),
      container: z.string().min(1),
      prefix,
      accountKey: z.string().optional(),
      connectionString: z.string().optional(),
      endpoint: z.url().optional(),
    })
    .strict(),
]);
export type StorageConfig = z.infer<typeof StorageConfigSchema>;
export type S3Config = Extract<StorageConfig, { type: 's3' }>;
export type GcsConfig = Extract<StorageConfig, { type: 'gcs' }>;
export type AzureConfig = Extract<StorageConfig, { type: 'azure' }>;

/** Parses a config object; throws a one-sentence StorageError naming the first bad field. */
export function parseStorageConfig(value: unknown): StorageConfig {
  const parsed = StorageConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new StorageError('permanent', `[storage] invalid storage configuration: ${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'invalid'}`);
}

/**
 * Turns a repository URL into a config: `/abs/path`, `file:///abs/path`,
 * `s3://bucket/prefix?region=R&endpoint=URL&pathStyle=true`, `gs://bucket/prefix?endpoint=URL&project=P`,
 * `azure://account/container/prefix?endpoint=URL`. Credentials are never taken from a URL.
 */
export function configFromUrl(url: string): StorageConfig {
  const trimmed = url.trim();
  if (trimmed === '') throw new StorageError('permanent', '[storage] the repository URL is empty');
  if (trimmed.startsWith('file://')) return parseStorageConfig({ type: 'local', path: fileURLToPath(trimmed) });
  const scheme = /^([a-z0-9+]+):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!path.isAbsolute(trimmed)) throw new StorageError('permanent', `[storage] repository path "${trimmed}" must be absolute (or a file:// URL)`);
    return parseStorageConfig({ type: 'local', path: path.resolve(trimmed) });
  }
  if (scheme !== 's3' && scheme !== 'gs' && scheme !== 'azure') throw new StorageError('permanent', `[storage] unsupported repository URL scheme "${scheme}://"`);
  const u = new URL(trimmed);
  if (u.username || u.password) throw new StorageError('permanent', `[storage] credentials do not belong in a repository URL; use the ${scheme} SDK environment`);
  const parts = decodeURIComponent(u.pathname).split('/').filter(Boolean);
  const q = (name: string) => u.searchParams.get(name) ?? undefined;
  if (scheme === 's3') {
    return parseStorageConfig({ type: 's3', bucket: u.host, prefix: parts.join('/'), region: q('region'), endpoint: q('endpoint'), pathStyle: q('pathStyle') === 'true' });
  }
  if (scheme === 'gs') return parseStorageConfig({ type: 'gcs', bucket: u.host, prefix: parts.join('/'), endpoint: q('endpoint'), projectId: q('project') });
  const [container, ...rest] = parts;
  return parseStorageConfig({ type: 'azure', account: u.host, container: container ?? '', prefix: rest.join('/'), endpoint: q('endpoint') });
}

/**
 * The full location of a config as one comparable string: backend, bucket/account/container,
 * prefix, endpoint (normalised), region, project, addressing style; never credentials. Two URLs
 * with the same key reach the same place, so authority and passphrase lookups compare keys.
 */
export function locationKey(config: StorageConfig): string {
  const endpoint = (url: string | undefined) => (url === undefined ? null : new URL(url).href);
  switch (config.type) {
    case 'local':
      return JSON.stringify(['local', config.path]);
    case 's3':
      return JSON.stringify(['s3', config.bucket, config.prefix, config.region ?? null, endpoint(config.endpoint), config.pathStyle]);
    case 'gcs':
      return JSON.stringify(['gcs', config.bucket, config.prefix, config.projectId ?? null, endpoint(config.endpoint)]);
    case 'azure':
      return JSON.stringify(['azure', config.account, config.container, config.prefix, endpoint(config.endpoint)]);
  }
}

/** A description of a storage location that is safe to show: no credentials. */
export function describeConfig(config: StorageConfig): string {
  switch (config.type) {
    case 'local':
      return config.path;
    case 's3':
      return `s3://${config.bucket}/${config.prefix}`.replace(/\/$/, '');
    case 'gcs':
      return `gs://${config.bucket}/${config.prefix}`.replace(/\/$/, '');
    case 'azure':
      return `azure://${config.account}/${config.container}/${config.prefix}`.replace(/\/$/, '');
  }
}
