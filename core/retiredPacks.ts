// Which packs are still sealed under a key a rotation retired: each pack's header is read (a
// ranged read or two) and tried under the current key. A pack's blobs are sealed under the key
// its header is, by the one writer that wrote them all.

import { forEachConcurrently } from './concurrently.js';
import { sealedUnderCurrentKey } from './crypto.js';
import { readStoredPackHeader } from './packFormat.js';
import { Repository } from './repository.js';

const HEADER_READS_AT_ONCE = 8;

/** The ids of the packs among `stored` (id → size) whose header needs a retired key; none outside a rotation. */
export async function packsUnderRetiredKey(repo: Repository, stored: ReadonlyMap<string, number>, signal?: AbortSignal, onPack?: (done: number, total: number) => void): Promise<Set<string>> {
  const keys = repo.keys;
  const retired = new Set<string>();
  if (!keys || !repo.rotating) return retired;
  let done = 0;
  await forEachConcurrently([...stored], HEADER_READS_AT_ONCE, async ([id, size]) => {
    signal?.throwIfAborted();
    if (!sealedUnderCurrentKey(keys, await readStoredPackHeader(repo.storage, id, size))) retired.add(id);
    onPack?.(++done, stored.size);
  });
  return retired;
}
