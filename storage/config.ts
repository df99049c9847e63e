// The storage configuration: one variant per backend (storage/configSchema.ts validates a JSON
// config with zod, loaded on first use), repository URLs parsed into it by hand (so a command
// that only names a repository loads no zod), its comparable location key and a safe description.
// Credentials left out of a URL come from each SDK's usual environment and credential chain,
// resolved in the process that opens the storage.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ConfigSchema from './configSchema.js';
import { StorageError } from './storage.js';

export type { AzureConfig, GcsConfig, S3Config, StorageConfig } from './configSchema.js';
type StorageConfig = ConfigSchema.StorageConfig;

/** Parses a config object; throws a one-sentence StorageError naming the first bad field. */
export function parseStorageConfig(value: unknown): StorageConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load: zod only where a JSON config is read
  return (require('./configSchema.js') as typeof ConfigSchema).parseStorageConfig(value);
}

function invalid(field: string, message: string): StorageError {
  return new StorageError('permanent', `[storage] invalid storage configuration: ${field}: ${message}`);
}

/** What the schema demands of a config built from a URL: named buckets, accounts and containers, endpoints that parse. */
function checkedUrlConfig<C extends StorageConfig>(config: C): C {
  const named = (field: string, value: string) => {
    if (value === '') throw invalid(field, 'must not be empty');
  };
  if (config.type === 's3' || config.type === 'gcs') named('bucket', config.bucket);
  if (config.type === 'azure') {
    named('account', config.account);
    named('container', config.container);
  }
  if (config.type !== 'local' && config.endpoint !== undefined && !URL.canParse(config.endpoint)) throw invalid('endpoint', 'must be a URL');
  return config;
}

/**
 * Turns a repository URL into a config: `/abs/path`, `file:///abs/path`,
 * `s3://bucket/prefix?region=R&endpoint=URL&pathStyle=true`, `gs://bucket/prefix?endpoint=URL&project=P`,
 * `azure://account/container/prefix?endpoint=URL`. Credentials are never taken from a URL.
 */
export function configFromUrl(url: string): StorageConfig {
  const trimmed = url.trim();
  if (trimmed === '') throw new StorageError('permanent', '[storage] the repository URL is empty');
  if (trimmed.startsWith('file://')) return { type: 'local', path: fileURLToPath(trimmed) };
  const scheme = /^([a-z0-9+]+):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!path.isAbsolute(trimmed)) throw new StorageError('permanent', `[storage] repository path "${trimmed}" must be absolute (or a file:// URL)`);
    return { type: 'local', path: path.resolve(trimmed) };
  }
  if (scheme !== 's3' && scheme !== 'gs' && scheme !== 'azure') throw new StorageError('permanent', `[storage] unsupported repository URL scheme "${scheme}://"`);
  const u = new URL(trimmed);
  if (u.username || u.password) throw new StorageError('permanent', `[storage] credentials do not belong in a repository URL; use the ${scheme} SDK environment`);
  const parts = decodeURIComponent(u.pathname).split('/').filter(Boolean);
  const q = (name: string) => u.searchParams.get(name) ?? undefined;
  if (scheme === 's3') {
    return checkedUrlConfig({ type: 's3', bucket: u.host, prefix: parts.join('/'), region: q('region'), endpoint: q('endpoint'), pathStyle: q('pathStyle') === 'true' });
  }
  if (scheme === 'gs') return checkedUrlConfig({ type: 'gcs', bucket: u.host, prefix: parts.join('/'), endpoint: q('endpoint'), projectId: q('project') });
  const [container, ...rest] = parts;
  return checkedUrlConfig({ type: 'azure', account: u.host, container: container ?? '', prefix: rest.join('/'), endpoint: q('endpoint') });
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
