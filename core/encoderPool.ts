// Spreads file encoding (read, chunk, hash, compress, seal) over threads so every core works,
// while the main thread packs, uploads and keeps heartbeating. With zero threads it encodes
// inline, which engine tests on in-memory storage use.

import { BlobCodecSettings, EncodedBlob } from './blobCodec.js';
import { SharedBlobIds } from './blobIdTable.js';
import { ChunkerConfig } from './chunker.js';
import { ringBytes, ThreadReply, ThreadRequest } from './encoderProtocol.js';
import { borrowEncoderThread, EncoderThread, returnEncoderThread } from './encoderThreads.js';
import { EncodedFile, FileEncoder } from './fileEncoder.js';
import { PathBytes } from './fileNames.js';
import { KnownBlobs } from './knownBlobs.js';

/** Takes a new blob; its bytes may be reused once the returned promise resolves, so copy them first. */
export type BlobSink = (blob: EncodedBlob) => Promise<void>;

export interface EncoderPool {
  /** Encodes the files (paths that are not UTF-8 as bytes in buffers of their own), handing each new blob to the sink; resolves when all are in the sink. */
  encode(paths: PathBytes[]): Promise<EncodedFile[]>;
  close(): Promise<void>;
}

export interface EncoderPoolOptions {
  settings: BlobCodecSettings;
  chunker: ChunkerConfig;
  /** The index's blob ids as they are now (asked again for every batch). */
  known: () => SharedBlobIds;
  threads: number;
  sink: BlobSink;
  /**
   * Cancels the encoding: pending and running batches reject with its reason at once, inside a
   * large file too (even one whose chunks are all known, which sends nothing to the sink).
   */
  signal?: AbortSignal;
  /**
   * Bytes read by files still being encoded, as they are read (threads only); once a batch is
   * done the same bytes are taken back (a negative count), since its files carry their totals.
   */
  onRead?: (bytes: number) => void;
}

export function createEncoderPool(options: EncoderPoolOptions): EncoderPool {
  return options.threads > 0 ? new ThreadedEncoderPool(options) : new InlineEncoderPool(options);
}

class InlineEncoderPool implements EncoderPool {
  private readonly encoder: FileEncoder;
  private readonly known: KnownBlobs;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EncoderPoolOptions) {
    this.known = new KnownBlobs();
    this.encoder = new FileEncoder(options.settings, options.chunker, this.known);
  }

  encode(paths: PathBytes[]): Promise<EncodedFile[]> {
    const run = this.queue.then(() => this.encodeNow(paths));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(paths: PathBytes[]): Promise<EncodedFile[]> {
    this.known.renew(this.options.known());
    const files: EncodedFile[] = [];
    for (const p of paths) {
      const run = this.encoder.encode(p);
      let step = run.next();
      while (!step.done) {
        this.options.signal?.throwIfAborted();
        await this.options.sink(step.value);
        step = run.next();
      }
      files.push(step.value);
    }
    return files;
  }

  async close(): Promise<void> {}
}

interface Batch {
  id: number;
  paths: PathBytes[];
  resolve: (files: EncodedFile[]) => void;
  reject: (err: unknown) => void;
}

interface PoolThread extends EncoderThread {
  busy: Batch | null;
  /** Blobs from this thread go into the sink one after another, in order. */
  sinkChain: Promise<void>;
  /** Bytes of the running batch reported through onRead so far. */
  readReported: number;
}

class ThreadedEncoderPool implements EncoderPool {
  private readonly threads: PoolThread[] = [];
  private readonly waiting: Batch[] = [];
  private nextBatch = 0;
  private failure: unknown;
  private readonly onAbort = () => this.fail(this.options.signal?.reason);

  constructor(private readonly options: EncoderPoolOptions) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    const session: ThreadRequest = { kind: 'session', settings: options.settings, chunker: options.chunker };
    for (let i = 0; i < options.threads; i++) {
      const thread: PoolThread = { ...borrowEncoderThread(ringBytes(options.chunker)), busy: null, sinkChain: Promise.resolve(), readReported: 0 };
      thread.worker.on('message', (reply: ThreadReply) => this.onReply(thread, reply));
      thread.worker.on('error', (err) => this.fail(err));
      thread.worker.postMessage(session);
      this.threads.push(thread);
    }
  }

  encode(paths: PathBytes[]): Promise<EncodedFile[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ id: this.nextBatch++, paths, resolve, reject });
      this.dispatch();
    });
  }

  /** Threads that finished cleanly go back for the next backup; any other (a canceled one too) is ended. */
  async close(): Promise<void> {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const clean = this.failure === undefined;
    await Promise.all(this.threads.map((t) => returnEncoderThread(t, clean && t.busy === null)));
  }

  private dispatch(): void {
    for (const thread of this.threads) {
      if (thread.busy || this.waiting.length === 0) continue;
      const batch = this.waiting.shift()!;
      thread.busy = batch;
      const request: ThreadRequest = { kind: 'batch', batch: batch.id, paths: batch.paths, known: this.options.known() };
      thread.worker.postMessage(request);
    }
  }

  private onReply(thread: PoolThread, reply: ThreadReply): void {
    const batch = thread.busy;
    if (!batch) return;
    if (reply.kind === 'blobs') {
      for (const { offset, length, charge, ...blob } of reply.blobs) {
        thread.sinkChain = thread.sinkChain
          .then(() => this.options.sink({ ...blob, bytes: new Uint8Array(thread.ring, offset, length) }))
          .then(() => {
            Atomics.sub(thread.used, 0, charge);
            Atomics.notify(thread.used, 0);
          });
      }
      thread.sinkChain.catch((err: unknown) => this.fail(err));
      return;
    }
    if (reply.kind === 'read') {
      thread.readReported += reply.bytes;
      this.options.onRead?.(reply.bytes);
      return;
    }
    thread.sinkChain.then(
      () => {
        thread.busy = null;
        this.options.onRead?.(-thread.readReported);
        thread.readReported = 0;
        batch.resolve(reply.files);
        this.dispatch();
      },
      (err: unknown) => batch.reject(err),
    );
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const thread of this.threads) thread.busy?.reject(err);
    for (const batch of this.waiting.splice(0)) batch.reject(err);
  }
}
