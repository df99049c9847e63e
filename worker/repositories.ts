// Opening a repository the worker admitted: its storage, then its keys with the passphrase held for
// it (worker/passphrases.ts says which passphrase that is).

import { Repository } from '../core/repository.js';
import { openStorage } from '../storage/open.js';
import type { AdmittedRepository } from './authority.js';

/** Opens an admitted repository: its storage, then its keys with the passphrase held for it. */
export async function openRepository(admitted: AdmittedRepository): Promise<Repository> {
  const storage = await openStorage(admitted.url);
  try {
    return await Repository.open(storage, admitted.passphrase());
  } catch (err) {
    await storage.close();
    throw err;
  }
}
