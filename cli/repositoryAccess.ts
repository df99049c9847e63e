// Direct access to a repository for the commands that need no workflow (init, snapshots, key):
// resolves a repository name through this user's meridian.yaml or repositories.json, opens the
// storage (append-only when that is its role there) and the repository with this process's
// passphrase, and always closes.

import { Repository } from '../core/repository.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/storage.js';
import { commandRepository } from '../worker/workerConfig.js';

export async function withStorage<T>(reference: string, use: (storage: Storage) => Promise<T>): Promise<T> {
  const repository = commandRepository(reference);
  const storage = await openStorage(repository.url, { appendOnly: repository.role === 'append-only' });
  try {
    return await use(storage);
  } finally {
    await storage.close();
  }
}

export async function withRepository<T>(url: string, passphrase: string | undefined, use: (repo: Repository) => Promise<T>): Promise<T> {
  return withStorage(url, async (storage) => use(await Repository.open(storage, passphrase)));
}
