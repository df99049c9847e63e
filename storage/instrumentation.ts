// The instrumentation hook of storage/: a decorator that reports every request a backend answers
// (its operation and outcome) to one process-wide observer, and the retry wrapper's retries to the
// same observer. storage/ knows nothing of Prometheus: `meridian server` installs an observer
// that counts into its metrics (metrics/storageMetrics.ts); without one nothing is recorded.

import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, Storage, StorageError, StreamingPut } from './storage.js';

/** The backend kinds, as labels: fixed words, never a location. */
export type BackendKind = 'local' | 'memory' | 's3' | 'gcs' | 'azure';

/** ok; not-found (an answer, not a failure); error (transient or permanent). */
export type RequestOutcome = 'ok' | 'not-found' | 'error';

export interface StorageObserver {
  request(backend: BackendKind, operation: string, outcome: RequestOutcome): void;
  retry(backend: BackendKind, operation: string): void;
}

let observer: StorageObserver | undefined;

/** Installs (or, with undefined, removes) the observer every instrumented storage reports to. */
export function setStorageObserver(next: StorageObserver | undefined): void {
  observer = next;
}

export function observeRetry(backend: BackendKind, operation: string): void {
  observer?.retry(backend, operation);
}

function outcomeOf(err: unknown): RequestOutcome {
  return err instanceof StorageError && err.kind === 'not-found' ? 'not-found' : 'error';
}

/** `inner` with each of its requests reported as `backend`; listing counts once, when it ends. */
export function instrumented(inner: Storage, backend: BackendKind): Storage {
  const report = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      const result = await run();
      observer?.request(backend, operation, 'ok');
      return result;
    } catch (err) {
      observer?.request(backend, operation, outcomeOf(err));
      throw err;
    }
  };
  const storage: Storage = {
    location: inner.location,
    put: (h: Handle, data: Uint8Array) => report('put', () => inner.put(h, data)),
    get: (h: Handle, range?: ByteRange): Promise<Uint8Array> => report('get', () => inner.get(h, range)),
    stat: (h: Handle): Promise<ObjectInfo> => report('stat', () => inner.stat(h)),
    delete: (h: Handle) => report('delete', () => inner.delete(h)),
    close: () => inner.close(),
    list: (type: FileType) => listReported(inner, type, (outcome) => observer?.request(backend, 'list', outcome)),
  };
  if (inner.openPut) storage.openPut = (type: FileType) => streamingReported(inner.openPut!(type), report);
  if (inner.createLocation) storage.createLocation = () => report('createLocation', () => inner.createLocation!());
  if (inner.listTemporaryFiles) storage.listTemporaryFiles = () => inner.listTemporaryFiles!();
  if (inner.removeTemporaryFile) storage.removeTemporaryFile = (name: string) => inner.removeTemporaryFile!(name);
  return storage;
}

async function* listReported(inner: Storage, type: FileType, done: (outcome: RequestOutcome) => void): AsyncIterable<ListedObject> {
  try {
    yield* inner.list(type);
    done('ok');
  } catch (err) {
    done(outcomeOf(err));
    throw err;
  }
}

/** A streamed put is one request when it commits (its writes are parts of it). */
function streamingReported(put: StreamingPut, report: <T>(operation: string, run: () => Promise<T>) => Promise<T>): StreamingPut {
  return {
    write: (bytes, position) => put.write(bytes, position),
    commit: (name) => report('put', () => put.commit(name)),
    abort: () => put.abort(),
  };
}
