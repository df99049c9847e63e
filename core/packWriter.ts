// Groups encoded blobs into packs of about the repository's pack size and uploads them, with a
// bounded number of uploads in flight, reporting each stored pack to the index.

import { EncodedBlob } from './blobCodec.js';
import { MasterKeys } from './crypto.js';
import { IndexedPack } from './masterIndex.js';
import { buildPack } from './packFormat.js';
import { Storage } from '../storage/storage.js';

export interface PackWriterStats {
  packs: number;
  bytesStored: number;
}

export class PackWriter {
  private blobs: EncodedBlob[] = [];
  private bufferedBytes = 0;
  private readonly uploads = new Set<Promise<void>>();
  private failure: unknown;
  readonly stats: PackWriterStats = { packs: 0, bytesStored: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly keys: MasterKeys | null,
    private readonly packSize: number,
    private readonly onPackStored: (pack: IndexedPack) => Promise<void>,
    private readonly maxUploads = 2,
  ) {}

  /** Adds a blob; resolves once it is buffered (waiting while too many uploads are in flight). */
  async add(blob: EncodedBlob): Promise<void> {
    this.throwIfFailed();
    this.blobs.push(blob);
    this.bufferedBytes += blob.bytes.length;
    if (this.bufferedBytes >= this.packSize) await this.cut();
  }

  /** Uploads what is buffered and waits for every upload; afterwards all added blobs are indexed. */
  async flush(): Promise<void> {
    if (this.blobs.length > 0) await this.cut();
    await Promise.all(this.uploads);
    this.throwIfFailed();
  }

  private async cut(): Promise<void> {
    const blobs = this.blobs;
    this.blobs = [];
    this.bufferedBytes = 0;
    while (this.uploads.size >= this.maxUploads) await Promise.race(this.uploads);
    this.throwIfFailed();
    const pack = buildPack(this.keys, blobs);
    const upload = this.store(pack.id, pack.bytes, { id: pack.id, blobs: pack.blobs });
    this.uploads.add(upload);
    void upload.finally(() => this.uploads.delete(upload));
  }

  private async store(id: string, bytes: Uint8Array, indexed: IndexedPack): Promise<void> {
    try {
      await this.storage.put({ type: 'data', name: id }, bytes);
      this.stats.packs += 1;
      this.stats.bytesStored += bytes.length;
      await this.onPackStored(indexed);
    } catch (err) {
      this.failure ??= err;
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
