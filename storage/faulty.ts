// A fault-injecting wrapper for tests: delays every call and fails a chosen share of them
// with transient errors, so retries, resumption and progress can be exercised on purpose; it can
// also "kill" the caller at its Nth change to the repository, or hold each change or read for a test. A
// backend's streaming put stays available (delayed and failed at its commit), so the pack path
// under test is the one production takes on that backend.

import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, Storage, StorageError, StreamingPut } from './storage.js';

export interface FaultOptions {
  /** Milliseconds added before each put. */
  putDelayMs?: number;
  /** Share (0..1) of calls that fail with a transient error before reaching the backend. */
  failureRate?: number;
  /** Deterministic randomness for the failures. */
  random?: () => number;
  /**
   * Simulates a process killed mid-run: the Nth change to the repository (put, streamed put's
   * commit, delete, removal of a temporary file; counted from 1) and every later one fail.
   */
  dieAtChange?: number;
  /** Awaited before each change reaches the backend: a test holds a writer at a chosen point with it. */
  beforeChange?: (op: string, h: Handle) => Promise<void>;
  /** Awaited before each get reaches the backend. */
  beforeRead?: (h: Handle) => Promise<void>;
}

export class FaultyStorage implements Storage {
  readonly location: string;
  /** Calls made, and calls failed on purpose. */
  readonly counts = { calls: 0, injectedFailures: 0, puts: 0, bytesPut: 0, changes: 0 };
  readonly openPut?: (type: FileType) => StreamingPut;
  readonly listTemporaryFiles?: () => AsyncIterable<ListedObject>;
  readonly removeTemporaryFile?: (name: string) => Promise<void>;

  constructor(
    private readonly inner: Storage,
    private readonly options: FaultOptions,
  ) {
    this.location = inner.location;
    if (inner.openPut) this.openPut = (type) => this.delayedStream(type, inner.openPut!(type));
    if (inner.listTemporaryFiles) this.listTemporaryFiles = () => inner.listTemporaryFiles!();
    if (inner.removeTemporaryFile) {
      this.removeTemporaryFile = async (name) => {
        await this.change('remove', { type: 'data', name });
        await inner.removeTemporaryFile!(name);
      };
    }
  }

  async put(h: Handle, data: Uint8Array): Promise<void> {
    this.maybeFail('put', h);
    await this.change('put', h);
    if (this.options.putDelayMs) await new Promise((r) => setTimeout(r, this.options.putDelayMs));
    await this.inner.put(h, data);
    this.counts.puts += 1;
    this.counts.bytesPut += data.length;
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    this.maybeFail('get', h);
    await this.options.beforeRead?.(h);
    return this.inner.get(h, range);
  }

  async stat(h: Handle): Promise<ObjectInfo> {
    this.maybeFail('stat', h);
    return this.inner.stat(h);
  }

  list(type: FileType): AsyncIterable<ListedObject> {
    this.maybeFail('list', { type, name: '' });
    return this.inner.list(type);
  }

  async delete(h: Handle): Promise<void> {
    this.maybeFail('delete', h);
    await this.change('delete', h);
    await this.inner.delete(h);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private delayedStream(type: FileType, put: StreamingPut): StreamingPut {
    let bytes = 0;
    return {
      write: async (data, position) => {
        await put.write(data, position);
        bytes += data.length;
      },
      commit: async (name) => {
        this.maybeFail('put', { type, name });
        await this.change('put', { type, name });
        if (this.options.putDelayMs) await new Promise((r) => setTimeout(r, this.options.putDelayMs));
        await put.commit(name);
        this.counts.puts += 1;
        this.counts.bytesPut += bytes;
      },
      abort: () => put.abort(),
    };
  }

  private async change(op: string, h: Handle): Promise<void> {
    this.counts.changes += 1;
    if (this.options.dieAtChange !== undefined && this.counts.changes >= this.options.dieAtChange) {
      throw new StorageError('transient', `[storage:faulty] process "killed" before change ${this.counts.changes}: ${op} ${h.type}/${h.name}`);
    }
    await this.options.beforeChange?.(op, h);
  }

  private maybeFail(op: string, h: Handle): void {
    this.counts.calls += 1;
    const random = this.options.random ?? Math.random;
    if ((this.options.failureRate ?? 0) > 0 && random() < this.options.failureRate!) {
      this.counts.injectedFailures += 1;
      throw new StorageError('transient', `[storage:faulty] injected failure of ${op} ${h.type}/${h.name}`);
    }
  }
}
