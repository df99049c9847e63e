// What counts as damage to a repository (data that reads back wrong, or is gone for good) as
// opposed to an outage that a retry may get past: verify reports damage, restore salvages around
// it, and both let transient storage errors propagate so that the activity retries.

import { RepositoryError } from './errors.js';
import { StorageError } from '../storage/storage.js';

export function isDamage(err: unknown): boolean {
  if (err instanceof RepositoryError) return err.code === 'integrity' || err.code === 'not-found';
  return err instanceof StorageError && err.kind !== 'transient';
}
