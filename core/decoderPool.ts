// Spreads the CPU and write work of restores over threads, one span of a pack at a time: each
// thread opens, decompresses and checks the span's blobs and writes them into their files, so
// both cores work while the main thread reads packs. With zero threads it does this inline.

import { Worker } from 'node:worker_threads';
import { MasterKeys } from './crypto.js';
import { DecodeReply, DecodeRequest, DecoderThreadData, SpanBlob, writeSpan } from './decoderProtocol.js';
import { RepositoryError } from './errors.js';
import { threadScript } from './threadScript.js';

export interface DecoderPool {
  /** Decodes the blobs of a span (which it may take ownership of) and writes them to their targets. */
  write(span: Uint8Array, blobs: SpanBlob[]): Promise<void>;
  close(): Promise<void>;
}

export function createDecoderPool(keys: MasterKeys | null, threads: number): DecoderPool {
  if (threads <= 0) {
    return {
      write: async (span, blobs) => writeSpan(keys, span, blobs),
      close: async () => undefined,
    };
  }
  return new ThreadedDecoderPool(keys, threads);
}

interface Pending {
  resolve: () => void;
  reject: (err: unknown) => void;
}

class ThreadedDecoderPool implements DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextJob = 0;

  constructor(keys: MasterKeys | null, threads: number) {
    const data: DecoderThreadData = { keys };
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(threadScript('decoderThread'), { workerData: data });
      worker.on('message', (reply: DecodeReply) => this.onReply(reply));
      worker.on('error', (err) => this.failAll(err));
      this.workers.push(worker);
    }
  }

  write(span: Uint8Array, blobs: SpanBlob[]): Promise<void> {
    const job = this.nextJob++;
    const owned = span.byteOffset === 0 && span.byteLength === span.buffer.byteLength ? span : Uint8Array.from(span);
    const request: DecodeRequest = { job, span: owned.buffer as ArrayBuffer, blobs };
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      this.workers[job % this.workers.length]!.postMessage(request, [request.span]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onReply(reply: DecodeReply): void {
    const waiting = this.pending.get(reply.job);
    this.pending.delete(reply.job);
    if (!waiting) return;
    if (!('error' in reply)) waiting.resolve();
    else waiting.reject(reply.error.code ? new RepositoryError(reply.error.code, reply.error.message) : new Error(reply.error.message));
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
