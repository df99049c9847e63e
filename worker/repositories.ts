// Opening a repository the worker admitted: its storage (append-only when that is the worker's role
// for it), then its keys with the passphrase held for it (worker/passphrases.ts says which).

import { Repository } from '../core/repository.js';
import { openStorage } from '../storage/open.js';
import type { AdmittedRepository } from './authority.js';

/** Opens an admitted repository: its storage, then its keys with the passphrase held for it. */
export async function openRepository(admitted: AdmittedRepository): Promise<Repository> {
  const storage = await openStorage(admitted.url, { appendOnly: admitted.role === 'append-only' });
  try {
    return await Repository.open(storage, admitted.passphrase());
  } catch (err) {
    await storage.close();
    throw err;
  }
}
