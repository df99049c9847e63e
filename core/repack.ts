// Repack: copies the blobs a pack still has to keep into new packs, data and tree blobs apart,
// and indexes the new packs. A blob is copied as stored (sealed, compressed): its seal covers only
// its own bytes under a random nonce (core/crypto.ts), with nothing of the pack in it, and the new
// pack's header records its codec and raw length, so nothing is decrypted or compressed again.
// Except in a key rotation: the blobs of a pack sealed under a retired key are sealed again under
// the current one (decrypted and encrypted, never decompressed).

import { BlobType } from './blobCodec.js';
import { resealUnder } from './crypto.js';
import { integrityError } from './errors.js';
import { IndexWriter } from './masterIndex.js';
import { RepackSource } from './packUsage.js';
import { Pace } from './pace.js';
import { PackWriter } from './packWriter.js';
import { Repository } from './repository.js';

export interface RepackResult {
  packs: string[];
  bytes: number;
}

/** New packs per index file: a repack killed midway leaves at most this many unindexed (harmless) packs. */
const PACKS_PER_INDEX_FILE = 4;

export interface RepackOptions {
  signal?: AbortSignal;
  onPack?: (done: number) => void;
  /** Packs whose blobs are sealed again under the current key (a key rotation's). */
  reseal?: ReadonlySet<string>;
  /** Throttles the reads of the packs repacked. */
  pace?: Pace;
}

export async function repack(repo: Repository, sources: RepackSource[], options: RepackOptions = {}): Promise<RepackResult> {
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
    const reseal = repo.keys && options.reseal?.has(source.id) ? repo.keys : null;
    for (const blob of source.keep) {
      if (blob.offset + blob.length > stored.length) throw integrityError(`pack ${source.id.slice(0, 12)} (shorter than its index says)`);
      const bytes = stored.subarray(blob.offset, blob.offset + blob.length);
      await writers[blob.type].add({ id: blob.id, type: blob.type, codec: blob.codec, rawLength: blob.rawLength, bytes: reseal ? resealUnder(reseal, bytes, `blob ${blob.id.slice(0, 12)}`) : bytes });
    }
    options.onPack?.(i + 1);
    await options.pace?.took(stored.length, options.signal);
  }
  await Promise.all([writers.data.flush(), writers.tree.flush()]);
  await indexWriter.flush();
  result.bytes = writers.data.stats.bytesStored + writers.tree.stats.bytesStored;
  return result;
}
