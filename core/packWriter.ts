// Groups encoded blobs into packs of about the repository's pack size and stores them, with a
// bounded number of stores in flight, reporting each stored pack to the index. Where the storage
// takes an object piece by piece (a local disk) each blob is written straight to the pack's file
// as it arrives; elsewhere blobs are copied into a pack buffer, put whole, and the buffer reused
// by this and later writers in the process. Either way a worker's memory does not grow with each
// backup, and the sink's bytes are consumed before add() resolves.

import { EncodedBlob } from './blobCodec.js';
import { MasterKeys } from './crypto.js';
import { IndexedPack } from './masterIndex.js';
import { PackBlobEntry, PackBuilder, PackEntries } from './packFormat.js';
import { Storage, StreamingPut } from '../storage/storage.js';

export interface PackWriterStats {
  packs: number;
  bytesStored: number;
}

/** A pack being written; finish() adds its tail and says how to make it visible. */
interface PackInProgress {
  readonly size: number;
  add(blob: EncodedBlob): Promise<void>;
  finish(keys: MasterKeys | null): Promise<FinishedPack>;
  abort(): Promise<void>;
}

interface FinishedPack {
  id: string;
  blobs: PackBlobEntry[];
  length: number;
  store(): Promise<void>;
}

/** Room past the pack size for the blob that fills a pack, and its header, without regrowing. */
const SLACK = 2 * 1024 * 1024;

/** Pack and staging buffers no writer is using, kept for the next one (of any writer in the process). */
const sparePacks: Buffer[] = [];
const spareStages: Buffer[] = [];
const MAX_SPARE_BUFFERS = 3;

function takeBuffer(size: number, spares: Buffer[]): Buffer {
  const at = spares.findIndex((b) => b.length >= size);
  return at >= 0 ? spares.splice(at, 1)[0]! : Buffer.allocUnsafeSlow(size);
}

function giveBackBuffer(buffer: Buffer, spares: Buffer[]): void {
  if (spares.length < MAX_SPARE_BUFFERS) spares.push(buffer);
}

/** In a reused buffer, put whole. */
function bufferedPack(storage: Storage, packSize: number): PackInProgress {
  const buffer = takeBuffer(packSize + SLACK, sparePacks);
  const builder = new PackBuilder(buffer);
  // Given back once: after a successful put, abort() may still follow (the index write failed).
  let released = false;
  const release = () => {
    if (!released) giveBackBuffer(buffer, sparePacks);
    released = true;
  };
  return {
    get size() {
      return builder.size;
    },
    add: async (blob) => builder.add(blob),
    finish: async (keys) => {
      const pack = builder.finish(keys);
      return {
        id: pack.id,
        blobs: pack.blobs,
        length: pack.bytes.length,
        store: async () => {
          await storage.put({ type: 'data', name: pack.id }, pack.bytes);
          release();
        },
      };
    },
    abort: async () => release(),
  };
}

/** Blobs smaller than this are gathered and written together, up to STAGE_BYTES at a time. */
const SMALL_BLOB = 64 * 1024;
const STAGE_BYTES = 1024 * 1024;

/**
 * Each blob written to storage at its offset as it arrives, nothing held in memory but small
 * blobs, which are gathered so that 100,000 small files do not cost 100,000 writes.
 */
function streamedPack(put: StreamingPut): PackInProgress {
  const pack = new PackEntries();
  const writes = new Set<Promise<void>>();
  const write = (bytes: Uint8Array, at: number) => {
    const done = put.write(bytes, at);
    writes.add(done);
    return done.finally(() => writes.delete(done));
  };
  let stage = takeBuffer(STAGE_BYTES, spareStages);
  let staged = 0;
  let stageAt = 0;
  const writeStage = () => {
    if (staged === 0) return;
    const written = stage;
    // finish() and abort() see the outcome; the buffer is reused once the write is over.
    void write(written.subarray(0, staged), stageAt).then(() => giveBackBuffer(written, spareStages), () => undefined);
    stage = takeBuffer(STAGE_BYTES, spareStages);
    staged = 0;
  };
  return {
    get size() {
      return pack.size;
    },
    add: async (blob) => {
      const at = pack.size;
      pack.add(blob);
      if (blob.bytes.length >= SMALL_BLOB) {
        writeStage();
        return write(blob.bytes, at);
      }
      if (staged > 0 && (stageAt + staged !== at || staged + blob.bytes.length > STAGE_BYTES)) writeStage();
      if (staged === 0) stageAt = at;
      stage.set(blob.bytes, staged);
      staged += blob.bytes.length;
    },
    finish: async (keys) => {
      writeStage();
      await Promise.all(writes);
      const tail = pack.tail(keys);
      await write(tail.bytes, pack.size);
      return { id: tail.id, blobs: pack.entries, length: pack.size + tail.bytes.length, store: () => put.commit(tail.id) };
    },
    abort: () => Promise.allSettled(writes).then(() => put.abort()),
  };
}

export class PackWriter {
  private pack: PackInProgress | null = null;
  private readonly stores = new Set<Promise<void>>();
  private failure: unknown;
  readonly stats: PackWriterStats = { packs: 0, bytesStored: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly keys: MasterKeys | null,
    private readonly packSize: number,
    private readonly onPackStored: (pack: IndexedPack) => Promise<void>,
    private readonly maxStores = 2,
  ) {}

  /** Adds a blob; resolves once its bytes are consumed (waiting while too many stores are in flight). */
  async add(blob: EncodedBlob): Promise<void> {
    this.throwIfFailed();
    const pack = (this.pack ??= this.storage.openPut ? streamedPack(this.storage.openPut('data')) : bufferedPack(this.storage, this.packSize));
    try {
      await pack.add(blob);
    } catch (err) {
      this.failure ??= err;
      await pack.abort();
      throw err;
    }
    if (this.pack === pack && pack.size >= this.packSize) await this.cut();
  }

  /** Stores what is written and waits for every store; afterwards all added blobs are indexed. */
  async flush(): Promise<void> {
    if (this.pack) await this.cut();
    await Promise.all(this.stores);
    this.throwIfFailed();
  }

  private async cut(): Promise<void> {
    const pack = this.pack!;
    this.pack = null;
    while (this.stores.size >= this.maxStores) await Promise.race(this.stores);
    this.throwIfFailed();
    const store = this.store(pack);
    this.stores.add(store);
    void store.finally(() => this.stores.delete(store));
  }

  private async store(pack: PackInProgress): Promise<void> {
    try {
      const finished = await pack.finish(this.keys);
      await finished.store();
      this.stats.packs += 1;
      this.stats.bytesStored += finished.length;
      await this.onPackStored({ id: finished.id, blobs: finished.blobs });
    } catch (err) {
      this.failure ??= err;
      await pack.abort();
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
