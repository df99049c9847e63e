// Repack: copies the blobs a pack still has to keep into new packs, data and tree blobs apart,
// and indexes the new packs. A blob is copied as stored (sealed, compressed): its seal covers only
// its own bytes under a random nonce (core/crypto.ts), with nothing of the pack in it, and the new
// pack's header records its codec and raw length, so nothing is decrypted or compressed again.

import { BlobType } from './blobCodec.js';
import { integrityError } from './errors.js';
import { IndexWriter } from './masterIndex.js';
import { RepackSource } from './packUsage.js';
import { PackWriter } from './packWriter.js';
import { Repository } from './repository.js';

export interface RepackResult {
  packs: string[];
  bytes: number;
}

/** New packs per index file: a repack killed midway leaves at most this many unindexed (harmless) packs. */
const PACKS_PER_INDEX_FILE = 4;

export async function repack(repo: Repository, sources: RepackSource[], options: { signal?: AbortSignal; onPack?: (done: number) => void } = {}): Promise<RepackResult> {
  const indexWriter = new IndexWriter(repo, PACKS_PER_INDEX_FILE);
  const result: RepackResult = { packs: [], bytes: 0 };
  const writer = () =>
    new PackWriter(repo.storage, repo.keys, repo.config.packSize, async (pack) => {
      result.packs.push(pack.id);
      await indexWriter.add(pack);
    });
  const writers: Record<BlobType, PackWriter> = { data: writer(), tree: writer() };
  for (const [i, source] of sources.entries()) {
    options.signal?.throwIfAborted();
    if (source.keep.length === 0) continue;
    const stored = await repo.storage.get({ type: 'data', name: source.id });
    for (const blob of source.keep) {
      if (blob.offset + blob.length > stored.length) throw integrityError(`pack ${source.id.slice(0, 12)} (shorter than its index says)`);
      await writers[blob.type].add({ id: blob.id, type: blob.type, codec: blob.codec, rawLength: blob.rawLength, bytes: stored.subarray(blob.offset, blob.offset + blob.length) });
    }
    options.onPack?.(i + 1);
  }
  await Promise.all([writers.data.flush(), writers.tree.flush()]);
  await indexWriter.flush();
  result.bytes = writers.data.stats.bytesStored + writers.tree.stats.bytesStored;
  return result;
}
