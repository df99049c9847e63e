// The writing side of a run that adds file content to the repository (a backup, a journal
// segment): the encoder pool, one pack writer for data and one for trees, the index writer, and
// the deduplication of every new blob against the index and the run itself.

import os from 'node:os';
import { BlobCodecSettings, BlobType, EncodedBlob, encodeBlob } from './blobCodec.js';
import { createEncoderPool, EncoderPool } from './encoderPool.js';
import { IndexWriter, MasterIndex } from './masterIndex.js';
import { PackWriter } from './packWriter.js';
import { Repository } from './repository.js';

export interface BlobStoreOptions {
  /** Encoder threads; 0 encodes inline. Defaults to the number of cores. */
  threads?: number;
  signal?: AbortSignal;
  /** Bytes read by files still being encoded (see EncoderPoolOptions.onRead). */
  onRead?: (bytes: number) => void;
  /** After each pack is stored and indexed. */
  onPack?: () => void;
}

export class BlobStore {
  readonly settings: BlobCodecSettings;
  readonly pool: EncoderPool;
  /** Raw bytes of the blobs this run added. */
  bytesAdded = 0;
  /** Blobs this run stored that the index does not hold yet. */
  private readonly added = new Set<string>();
  /** Tree and data blobs go to separate packs: reading trees (listing, verify, restore planning) never fetches file data. */
  private readonly packWriters: Record<BlobType, PackWriter>;
  private readonly indexWriter: IndexWriter;

  constructor(
    private readonly repo: Repository,
    readonly index: MasterIndex,
    options: BlobStoreOptions,
  ) {
    this.settings = { keys: repo.keys, compression: repo.config.compression, compressionLevel: repo.config.compressionLevel };
    this.indexWriter = new IndexWriter(repo, 4);
    const packWriter = () =>
      new PackWriter(repo.storage, repo.keys, repo.config.packSize, async (pack) => {
        this.index.addPack(pack);
        // Indexed now: the run's own set keeps only blobs in packs still being written.
        for (const blob of pack.blobs) this.added.delete(blob.id);
        await this.indexWriter.add(pack);
        options.onPack?.();
      });
    this.packWriters = { data: packWriter(), tree: packWriter() };
    this.pool = createEncoderPool({
      settings: this.settings,
      chunker: repo.config.chunker,
      known: () => index.sharedIds(),
      threads: options.threads ?? os.availableParallelism(),
      sink: (blob) => this.store(blob),
      signal: options.signal,
      onRead: options.onRead,
    });
  }

  /** Stores a tree blob of these bytes and returns its id; one already stored is not compressed and sealed again. */
  async storeTree(bytes: Uint8Array): Promise<string> {
    const id = this.repo.blobId(bytes);
    if (!this.stored(id)) await this.store(encodeBlob(this.settings, 'tree', bytes, id));
    return id;
  }

  /** Whether a blob is in the index or was added by this run. */
  private stored(id: string): boolean {
    return this.index.has(id) || this.added.has(id);
  }

  /** Every new blob passes here once: deduplicated against the index and this run, then packed. */
  async store(blob: EncodedBlob): Promise<void> {
    if (this.stored(blob.id)) return;
    this.added.add(blob.id);
    this.bytesAdded += blob.rawLength;
    await this.packWriters[blob.type].add(blob);
  }

  /** Stores the last packs and their index. */
  async flush(): Promise<void> {
    await Promise.all([this.packWriters.data.flush(), this.packWriters.tree.flush()]);
    await this.indexWriter.flush();
  }

  get bytesStored(): number {
    return this.packWriters.data.stats.bytesStored + this.packWriters.tree.stats.bytesStored;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
