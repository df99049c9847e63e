// Spreads the CPU and write work of restores over threads, one span of a pack at a time: each
// thread opens, decompresses and checks the span's blobs and writes them into their files, so
// both cores work while the main thread reads packs. A span goes to the first idle thread (and
// waits here until one is), so no thread sits idle while another has a queue. With zero threads
// it does this inline.

import { MessageChannel, Worker } from 'node:worker_threads';
import { MasterKeys } from './crypto.js';
import { DecodeReply, DecodeRequest, DecodeStep, DecoderThreadData, writeSpan } from './decoderProtocol.js';
import { RepositoryError } from './errors.js';
import { threadScript } from './threadScript.js';

export interface DecoderPool {
  /** Spans it decodes at once: its threads, or 1 inline. */
  readonly parallelism: number;
  /** Decodes the blobs of a span (which it may take ownership of) and writes them to their files. */
  write(span: Uint8Array, step: DecodeStep): Promise<void>;
  close(): Promise<void>;
}

export function createDecoderPool(keys: MasterKeys | null, threads: number): DecoderPool {
  if (threads <= 0) {
    return {
      parallelism: 1,
      write: async (span, step) => writeSpan(keys, span, step),
      close: async () => undefined,
    };
  }
  return new ThreadedDecoderPool(keys, threads);
}

interface Job {
  request: DecodeRequest;
  resolve: () => void;
  reject: (err: unknown) => void;
}

class ThreadedDecoderPool implements DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: Job[] = [];
  private readonly running = new Map<number, Job>();
  private nextJob = 0;
  readonly parallelism: number;

  constructor(keys: MasterKeys | null, threads: number) {
    this.parallelism = threads;
    const data: DecoderThreadData = { keys };
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(threadScript('decoderThread'), { workerData: data });
      worker.on('message', (reply: DecodeReply) => this.onReply(worker, reply));
      worker.on('error', (err) => this.failAll(err));
      this.workers.push(worker);
    }
    this.idle.push(...this.workers);
  }

  write(span: Uint8Array, step: DecodeStep): Promise<void> {
    const owned = span.byteOffset === 0 && span.byteLength === span.buffer.byteLength ? span : Uint8Array.from(span);
    const request: DecodeRequest = { job: this.nextJob++, span: owned.buffer as ArrayBuffer, ...step };
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && this.idle.length > 0) {
      const job = this.waiting.shift()!;
      this.running.set(job.request.job, job);
      this.idle.pop()!.postMessage(job.request, [job.request.span]);
    }
  }

  private onReply(worker: Worker, reply: DecodeReply): void {
    releaseNow(reply.span);
    this.idle.push(worker);
    const job = this.running.get(reply.job);
    this.running.delete(reply.job);
    this.dispatch();
    if (!job) return;
    if (!('error' in reply)) job.resolve();
    else job.reject(reply.error.code ? new RepositoryError(reply.error.code, reply.error.message) : Object.assign(new Error(reply.error.message), reply.error.errno));
  }

  private failAll(err: unknown): void {
    for (const job of [...this.running.values(), ...this.waiting]) job.reject(err);
    this.running.clear();
    this.waiting.length = 0;
  }
}

/**
 * Frees a spent span now instead of at some later GC: transferred into a channel that is then
 * closed, its memory goes with the undelivered message. Left to the GC, spans piled up by the
 * hundred MiB (a decoder thread collects only between jobs), or, handed to the main isolate, cost
 * a Temporal worker ~0.5 s of main-thread GC per GiB restored.
 */
function releaseNow(buffer: ArrayBuffer): void {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(null, [buffer]);
  port1.close();
  port2.close();
}
