// The storage contract every backend implements: typed handles, atomic puts, ranged gets,
// listing by type, and classified errors so that only a wrapper (never a backend) retries.

/**
 * `health`: the failover probe's short-lived canaries (core/healthProbe.ts); nothing else lists or
 * reads that folder. `alerts`: acknowledgments of ransomware alerts (core/ransomwareAlerts.ts).
 */
export const FILE_TYPES = ['config', 'keys', 'data', 'index', 'snapshots', 'locks', 'journal', 'wal', 'health', 'alerts'] as const;
export type FileType = (typeof FILE_TYPES)[number];

/** A file in a repository: its type decides the folder, its name is an id (hex) or "config". */
export interface Handle {
  type: FileType;
  name: string;
}

export interface ByteRange {
  offset: number;
  length: number;
}

/** What `stat` says of an object: its size in bytes and when it was last written. */
export interface ObjectInfo {
  size: number;
  mtime: Date;
}

/** An object as `list` yields it. */
export interface ListedObject extends ObjectInfo {
  name: string;
}

/**
 * A repository's backing store.
 *
 * - `put` is atomic: a reader sees the whole object or none of it, never a prefix. Putting an
 *   existing handle replaces it (the repository never does so except for `config` at init).
 * - `get` without a range returns the whole object; with a range, exactly `length` bytes from
 *   `offset` (a range past the end is an error, not a short read).
 * - A missing object makes `get`, `stat` and `delete` throw a StorageError of kind 'not-found'.
 * - `stat` and `list` give an object's size and modification time; `list` yields every object
 *   of a type, in no particular order.
 * - Errors are StorageErrors: 'not-found', 'permanent' (auth, missing bucket: retrying cannot
 *   help), 'transient' (network, throttling: a retry wrapper may try again) or 'refused' (what
 *   append-only access forbids).
 * - Backends never retry on their own.
 */
/** An object written piece by piece and named once complete (a pack is named by its header). */
export interface StreamingPut {
  /** Writes bytes at a position; writes may overlap in time but not in place. */
  write(bytes: Uint8Array, position: number): Promise<void>;
  /** Makes what was written visible under `name`, all at once; every write must have finished. */
  commit(name: string): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

export interface Storage {
  /** A short description for messages, e.g. "local:/srv/repo" (never contains credentials). */
  readonly location: string;
  put(h: Handle, data: Uint8Array): Promise<void>;
  get(h: Handle, range?: ByteRange): Promise<Uint8Array>;
  stat(h: Handle): Promise<ObjectInfo>;
  list(type: FileType): AsyncIterable<ListedObject>;
  delete(h: Handle): Promise<void>;
  close(): Promise<void>;
  /**
   * Starts an object of `type` written piece by piece, where the backend can take bytes as they
   * come without holding the whole object in memory (a local disk); cloud backends have none.
   */
  openPut?(type: FileType): StreamingPut;
  /** Creates the bucket or container when it is missing; `meridian init` calls it. */
  createLocation?(): Promise<void>;
  /**
   * Temporary files of writes in progress or of writers killed mid-write, where the backend
   * leaves them visible (a local disk: `*.tmp-*`), by their path in the repository; prune removes
   * those whose writers are gone. Cloud backends have none (a put is one request).
   */
  listTemporaryFiles?(): AsyncIterable<ListedObject>;
  removeTemporaryFile?(name: string): Promise<void>;
}

/** The mark of a temporary file's name (local disk): `<object>.tmp-<random>`, `stream.tmp-<random>`. */
export const TEMPORARY_MARK = '.tmp-';

/** 'refused': an append-only writer's delete or replacement (storage/appendOnly.ts); never retried. */
export type StorageErrorKind = 'not-found' | 'permanent' | 'transient' | 'refused';

/** What a service said about retrying a transient failure; the retry wrapper honours it. */
export interface RetryHint {
  /** The service asked to be left alone (throttling: 429, S3 SlowDown…): back off longer. */
  throttled: boolean;
  /** Its Retry-After, in milliseconds from when the answer came. */
  afterMs?: number;
}

export class StorageError extends Error {
  readonly retryHint?: RetryHint;

  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    options?: { cause?: unknown; retryHint?: RetryHint },
  ) {
    super(message, options);
    this.name = 'StorageError';
    if (options?.retryHint) this.retryHint = options.retryHint;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof StorageError && err.kind === 'not-found';
}

/** For `.catch`: a file that is not there is undefined; any other error stands. */
export function undefinedIfNotFound(err: unknown): undefined {
  if (isNotFound(err)) return undefined;
  throw err;
}

/** The path of a handle inside a repository, shared by all path-based backends. */
export function objectPath(h: Handle): string {
  if (h.type === 'config') return 'config';
  if (h.type === 'data') return `data/${h.name.slice(0, 2)}/${h.name}`;
  return `${h.type}/${h.name}`;
}

/** Checks a file type (it names a folder), for handles and listings alike. */
export function assertValidType(type: FileType): void {
  if (!(FILE_TYPES as readonly string[]).includes(type)) {
    throw new StorageError('permanent', `[storage] unknown file type "${type}"`);
  }
}

/** Checks a handle's name so that no backend ever sees a path separator or traversal. */
export function assertValidHandle(h: Handle): void {
  assertValidType(h.type);
  if (h.type === 'config') return;
  if (!/^[A-Za-z0-9._-]+$/.test(h.name) || h.name.startsWith('.')) {
    throw new StorageError('permanent', `[storage] invalid ${h.type} name "${h.name}"`);
  }
}
