// The retry wrapper every cloud backend is opened with: the same Storage interface, retrying
// only transient StorageErrors with exponential backoff and full jitter, longer when the service
// throttles, and never sooner than its Retry-After (bounded). Backends never retry. Each retry
// of a wrapper that knows its backend is reported to the storage observer (instrumentation.ts).

import { MAX_RETRY_AFTER_MS } from './cloudCalls.js';
import { type BackendKind, observeRetry } from './instrumentation.js';
import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, Storage, StorageError, StreamingPut } from './storage.js';

export interface RetryOptions {
  /** Tries per call, the first included (default 8). */
  attempts?: number;
  /** The backoff before the first retry is drawn from [0, baseMs) (default 100). */
  baseMs?: number;
  /** No backoff is longer than this (default 10 000), except one a Retry-After asks for. */
  maxMs?: number;
  /** A Retry-After longer than this is cut to it (default MAX_RETRY_AFTER_MS, 30 s). */
  maxRetryAfterMs?: number;
  /** Randomness for the jitter, in [0, 1). */
  random?: () => number;
  /** Waits between tries; tests pass a fake. */
  sleep?: (ms: number) => Promise<void>;
  /** Told before each retry. */
  onRetry?: (info: RetryInfo) => void;
  /** The backend, whose retries the storage observer counts. */
  backend?: BackendKind;
}

export interface RetryInfo {
  operation: string;
  /** The try that just failed (1 for the first). */
  attempt: number;
  delayMs: number;
  error: StorageError;
}

// With these defaults the backoffs before the 7 retries are drawn below 0.1, 0.2, … 6.4 s: at
// most 12.7 s (6.4 s expected) of waiting in all, so the cap is not reached. When a backend is
// down, a call therefore gives up within ~13 s plus its requests, the activity attempt fails
// with a transient error and the activity retry policy (1 s, doubling to 1 min) takes over:
// the operation's status then shows its attempt and "storage unreachable: …" soon, instead of
// an activity that silently waits for minutes inside one attempt. A throttled call waits below
// 1, 2, 4, 8, then 10 s (at most 45 s in all), and each Retry-After at most 30 s: a service that
// asks for more is answered sooner than it asked, rather than holding one attempt for minutes.
const DEFAULTS = { attempts: 8, baseMs: 100, maxMs: 10_000 };
/**
 * A throttled call (429, S3 SlowDown, Azure ServerBusy) backs off from a base this many times
 * longer, so the retries of all the calls that were throttled together stop piling on.
 */
const THROTTLED_BASE_FACTOR = 10;

export function withRetry(inner: Storage, options: RetryOptions = {}): Storage {
  return new RetryingStorage(inner, options);
}

function isTransient(err: unknown): err is StorageError {
  return err instanceof StorageError && err.kind === 'transient';
}

class RetryingStorage implements Storage {
  readonly location: string;
  /** Passed through unretried: a half-streamed object cannot be replayed (its writer fails instead). */
  readonly openPut?: (type: FileType) => StreamingPut;
  private readonly attempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(
    private readonly inner: Storage,
    private readonly options: RetryOptions,
  ) {
    this.location = inner.location;
    if (inner.openPut) this.openPut = (type) => inner.openPut!(type);
    this.attempts = options.attempts ?? DEFAULTS.attempts;
    this.baseMs = options.baseMs ?? DEFAULTS.baseMs;
    this.maxMs = options.maxMs ?? DEFAULTS.maxMs;
  }

  put(h: Handle, data: Uint8Array): Promise<void> {
    return this.retry('put', () => this.inner.put(h, data));
  }

  get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    return this.retry('get', () => this.inner.get(h, range));
  }

  stat(h: Handle): Promise<ObjectInfo> {
    return this.retry('stat', () => this.inner.stat(h));
  }

  delete(h: Handle): Promise<void> {
    return this.retry('delete', () => this.inner.delete(h));
  }

  createLocation(): Promise<void> {
    return this.retry('createLocation', async () => {
      await this.inner.createLocation?.();
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Retries the whole listing only while it has yielded nothing. A failure after some entries
   * were yielded is rethrown: the caller has already seen them, and starting over would yield
   * them twice. The error stays transient, so the activity's own retry runs the step again.
   */
  async *list(type: FileType): AsyncIterable<ListedObject> {
    for (let attempt = 1; ; attempt++) {
      let yielded = false;
      try {
        for await (const entry of this.inner.list(type)) {
          yielded = true;
          yield entry;
        }
        return;
      } catch (err) {
        if (yielded) throw err;
        await this.backoffOrThrow('list', attempt, err);
      }
    }
  }

  private async retry<T>(operation: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        await this.backoffOrThrow(operation, attempt, err);
      }
    }
  }

  /** Rethrows what is not worth retrying (or the last error); otherwise waits before the next try. */
  private async backoffOrThrow(operation: string, attempt: number, err: unknown): Promise<void> {
    if (!isTransient(err) || attempt >= this.attempts) throw err;
    const random = this.options.random ?? Math.random;
    const base = err.retryHint?.throttled ? this.baseMs * THROTTLED_BASE_FACTOR : this.baseMs;
    const backoffMs = Math.floor(random() * Math.min(this.maxMs, base * 2 ** (attempt - 1)));
    const retryAfterMs = Math.min(err.retryHint?.afterMs ?? 0, this.options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
    const delayMs = Math.max(backoffMs, retryAfterMs);
    this.options.onRetry?.({ operation, attempt, delayMs, error: err });
    if (this.options.backend) observeRetry(this.options.backend, operation);
    await (this.options.sleep ?? sleep)(delayMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
