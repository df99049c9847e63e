// Opens a Storage from a repository URL. The scheme picks the backend; cloud backends are
// loaded lazily so a local-only run never loads their SDKs.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStorage } from './local.js';
import { Storage, StorageError } from './storage.js';

export interface RepositoryLocation {
  scheme: 'file' | 's3' | 'gs' | 'azure';
  /** The URL as given, normalised; safe to show (carries no credentials). */
  display: string;
  /** For file: the absolute directory. */
  path?: string;
}

/** Parses a repository URL or path; throws a one-sentence StorageError('permanent') when invalid. */
export function parseRepositoryUrl(url: string): RepositoryLocation {
  const trimmed = url.trim();
  if (trimmed === '') throw new StorageError('permanent', '[storage] the repository URL is empty');
  if (trimmed.startsWith('file://')) {
    const dir = fileURLToPath(trimmed);
    return { scheme: 'file', display: dir, path: dir };
  }
  const scheme = /^([a-z0-9+]+):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (!path.isAbsolute(trimmed)) {
      throw new StorageError('permanent', `[storage] repository path "${trimmed}" must be absolute (or a file:// URL)`);
    }
    return { scheme: 'file', display: path.resolve(trimmed), path: path.resolve(trimmed) };
  }
  if (scheme === 's3' || scheme === 'gs' || scheme === 'azure') {
    const u = new URL(trimmed);
    if (u.username || u.password) {
      throw new StorageError('permanent', `[storage] credentials do not belong in a repository URL; use the ${scheme} SDK environment`);
    }
    return { scheme, display: `${scheme}://${u.host}${u.pathname}` };
  }
  throw new StorageError('permanent', `[storage] unsupported repository URL scheme "${scheme}://"`);
}

/** Opens the backend for a repository URL. */
export async function openStorage(url: string): Promise<Storage> {
  const location = parseRepositoryUrl(url);
  if (location.scheme === 'file') return new LocalStorage(location.path!);
  throw new StorageError('permanent', `[storage:${location.scheme}] this build has no ${location.scheme}:// backend yet; use a local path`);
}
