// Opens a Storage from a repository URL or a storage config. The config's type picks the
// backend; cloud backends (and their SDKs) are loaded lazily, so a local-only run never loads
// them, and are wrapped in the retry decorator (backends never retry on their own). Every backend
// is instrumented (storage/instrumentation.ts) inside the retry wrapper, so each try counts.
// Append-only access (storage/appendOnly.ts) is the local backend's own mode, and a decorator
// outside the retry wrapper for the cloud backends.

import { configFromUrl, describeConfig, locationKey, parseStorageConfig, StorageConfig } from './config.js';
import { appendOnly } from './appendOnly.js';
import { instrumented } from './instrumentation.js';
import { LocalStorage } from './local.js';
import { Storage } from './storage.js';

export interface RepositoryLocation {
  scheme: 'file' | 's3' | 'gs' | 'azure';
  /** The location without query or credentials; safe to show and to put in workflow ids. */
  display: string;
}

const SCHEMES = { local: 'file', s3: 's3', gcs: 'gs', azure: 'azure' } as const;

/** Parses a repository URL or path; throws a one-sentence StorageError('permanent') when invalid. */
export function parseRepositoryUrl(url: string): RepositoryLocation {
  const config = configFromUrl(url);
  return { scheme: SCHEMES[config.type], display: describeConfig(config) };
}

/** The full location of a repository URL (endpoint, region… included): equal keys, same place. */
export function repositoryLocationKey(url: string): string {
  return locationKey(configFromUrl(url));
}

/**
 * A repository name, as configured in the worker's repositories.json: letters, digits, `.`, `_`,
 * `-`, starting with a letter or digit. No URL or absolute path has this form.
 */
export function isRepositoryName(reference: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(reference);
}

export interface OpenOptions {
  /** Cloud backends get the retry wrapper unless this is false (a health probe: one try, its own error). */
  retry?: boolean;
  /** Deletes and replacements of anything but locks and health canaries are refused (a backup host's role). */
  appendOnly?: boolean;
}

/** Opens the backend for a repository URL. */
export async function openStorage(url: string, options: OpenOptions = {}): Promise<Storage> {
  // A config parsed from a URL holds what the schema demands already: no zod to load for it.
  return openCheckedConfig(configFromUrl(url), options);
}

/** Opens the backend for a config object (validated again, so plain JSON may be passed). */
export async function openStorageFromConfig(input: StorageConfig, options: OpenOptions = {}): Promise<Storage> {
  return openCheckedConfig(parseStorageConfig(input), options);
}

async function openCheckedConfig(config: StorageConfig, options: OpenOptions): Promise<Storage> {
  if (config.type === 'local') return instrumented(new LocalStorage(config.path, { appendOnly: options.appendOnly === true }), 'local');
  const { withRetry } = await import('./retry.js');
  const wrap = (storage: Storage) => {
    const observed = instrumented(storage, config.type);
    const retried = options.retry === false ? observed : withRetry(observed, { backend: config.type });
    return options.appendOnly ? appendOnly(retried) : retried;
  };
  if (config.type === 's3') return wrap((await import('./s3.js')).createS3Storage(config));
  if (config.type === 'gcs') return wrap((await import('./gcs.js')).createGcsStorage(config));
  return wrap((await import('./azure.js')).createAzureStorage(config));
}
