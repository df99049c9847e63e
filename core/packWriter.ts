// Groups encoded blobs into packs of about the repository's pack size and uploads them, with a
// bounded number of uploads in flight, reporting each stored pack to the index. Blobs are copied
// into the pack being built as they arrive, so at most one pack is buffered besides the uploads,
// and the buffers of stored packs are reused, by this and later writers in the process: no fresh
// 16 MiB to page in for every pack, and a worker's memory does not grow with each backup.

import { EncodedBlob } from './blobCodec.js';
import { MasterKeys } from './crypto.js';
import { IndexedPack } from './masterIndex.js';
import { PackBuilder } from './packFormat.js';
import { Storage } from '../storage/storage.js';

export interface PackWriterStats {
  packs: number;
  bytesStored: number;
}

/** Room past the pack size for the blob that fills a pack, and its header, without regrowing. */
const SLACK = 2 * 1024 * 1024;

/** Pack buffers no writer is using, kept for the next pack (of any writer in the process). */
const spareBuffers: Buffer[] = [];
const MAX_SPARE_BUFFERS = 3;

function takeBuffer(size: number): Buffer {
  const at = spareBuffers.findIndex((b) => b.length >= size);
  return at >= 0 ? spareBuffers.splice(at, 1)[0]! : Buffer.allocUnsafeSlow(size);
}

function giveBackBuffer(buffer: Buffer): void {
  if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer);
}

export class PackWriter {
  private pack: PackBuilder | null = null;
  private readonly uploads = new Set<Promise<void>>();
  private failure: unknown;
  readonly stats: PackWriterStats = { packs: 0, bytesStored: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly keys: MasterKeys | null,
    private readonly packSize: number,
    private readonly onPackStored: (pack: IndexedPack) => Promise<void>,
    private readonly maxUploads = storage.concurrentPuts ?? 2,
  ) {}

  /** Adds a blob; resolves once it is buffered (waiting while too many uploads are in flight). */
  async add(blob: EncodedBlob): Promise<void> {
    this.throwIfFailed();
    this.pack ??= new PackBuilder(takeBuffer(this.packSize + SLACK));
    this.pack.add(blob);
    if (this.pack.size >= this.packSize) await this.cut();
  }

  /** Uploads what is buffered and waits for every upload; afterwards all added blobs are indexed. */
  async flush(): Promise<void> {
    if (this.pack) await this.cut();
    await Promise.all(this.uploads);
    this.throwIfFailed();
  }

  private async cut(): Promise<void> {
    const pack = this.pack!.finish(this.keys);
    this.pack = null;
    while (this.uploads.size >= this.maxUploads) await Promise.race(this.uploads);
    this.throwIfFailed();
    const upload = this.store(pack.id, pack.bytes, { id: pack.id, blobs: pack.blobs });
    this.uploads.add(upload);
    void upload.finally(() => this.uploads.delete(upload));
  }

  private async store(id: string, bytes: Uint8Array, indexed: IndexedPack): Promise<void> {
    try {
      await this.storage.put({ type: 'data', name: id }, bytes);
      giveBackBuffer(Buffer.from(bytes.buffer));
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
