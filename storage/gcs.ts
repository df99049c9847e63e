// Google Cloud Storage backend (@google-cloud/storage): one object per repository file under the
// prefix, resumable uploads for large objects, ranged reads, errors classified for the retry
// wrapper (the SDK's own retries are off). With an endpoint (fake-gcs-server, another emulator),
// from the URL or else from STORAGE_EMULATOR_HOST, requests go unauthenticated; otherwise credentials come from credentialsFile or the SDK's chain
// (GOOGLE_APPLICATION_CREDENTIALS, the metadata server…). Loaded lazily by open.ts.

import { Bucket, Storage as GcsClient } from '@google-cloud/storage';
import { classifiedCall, classifyCloudFailure, CloudCallOptions, DEFAULT_IDLE_TIMEOUT_MS, emptyIfRangeNotSatisfiable, emptyRange, httpStatus, readAll, withIdleTimeout } from './cloudCalls.js';
import { describeConfig, GcsConfig } from './config.js';
import { ObjectKeys } from './objectKeys.js';
import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, RetryHint, Storage, StorageError } from './storage.js';

/** Objects larger than this go up in a resumable upload, smaller ones in a single request. */
const RESUMABLE_ABOVE_BYTES = 8 * 1024 * 1024;
const LIST_PAGE_SIZE = 1000;
/** An emulator needs some project id, and there are no credentials to take one from. */
const EMULATOR_PROJECT_ID = 'meridian-test';
/**
 * Transfers are checked against the hash the server stored. MD5 (node:crypto) rather than the
 * SDK's pure-JS CRC32C: uploads of 16 MiB packs ran at ~110 instead of ~80 MB/s against the
 * emulator. GCS keeps MD5 for every object that is not composed, and Meridian never composes.
 */
const VALIDATION = 'md5' as const;
/** The SDK's codes for data that did not survive the transfer: sending it again may help. */
const DAMAGED_IN_TRANSIT = new Set(['CONTENT_DOWNLOAD_MISMATCH', 'FILE_NO_UPLOAD']);

type Operation = 'put' | 'get' | 'stat' | 'list' | 'delete' | 'createLocation';

export function createGcsStorage(config: GcsConfig, options: CloudCallOptions = {}): Storage {
  return new GcsStorage(config, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
}

/**
 * STORAGE_EMULATOR_HOST as an endpoint: emulators document it as `host:port`, a URL, or the
 * SDK's base URL ending in /storage/v1; a bare host:port is plain HTTP, as emulators serve.
 */
function emulatorEndpoint(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const url = /^https?:\/\//i.test(value) ? value : `http://${value}`;
  return url.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
}

class GcsStorage implements Storage {
  readonly location: string;
  private readonly bucket: Bucket;
  private readonly keys: ObjectKeys;

  constructor(
    config: GcsConfig,
    private readonly idleMs: number,
  ) {
    this.location = describeConfig(config);
    this.keys = new ObjectKeys(config.prefix);
    const endpoint = config.endpoint ?? emulatorEndpoint(process.env.STORAGE_EMULATOR_HOST);
    const client = new GcsClient({
      apiEndpoint: endpoint,
      projectId: config.projectId ?? (endpoint ? EMULATOR_PROJECT_ID : undefined),
      keyFilename: config.credentialsFile,
      retryOptions: { autoRetry: false, maxRetries: 0 },
      timeout: idleMs,
    });
    // With STORAGE_EMULATOR_HOST set, the SDK takes the variable's raw value as the JSON API's
    // base URL (it expects ".../storage/v1"); the endpoint chosen here decides instead.
    if (endpoint) client.baseUrl = `${endpoint}/storage/v1`;
    this.bucket = client.bucket(config.bucket);
  }

  async put(h: Handle, data: Uint8Array): Promise<void> {
    const key = this.keys.key(h);
    await this.call('put', key, (signal, progress) => new Promise<void>((resolve, reject) => {
      // An object becomes visible only once its upload completes: puts are atomic.
      const upload = this.bucket.file(key).createWriteStream({ resumable: data.length > RESUMABLE_ABOVE_BYTES, validation: VALIDATION });
      signal.addEventListener('abort', () => upload.destroy(signal.reason as Error), { once: true });
      upload.on('progress', progress).once('error', reject).once('finish', resolve);
      upload.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }));
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    const key = this.keys.key(h);
    if (range?.length === 0) return emptyRange(range, async () => (await this.stat(h)).size, () => this.pastTheEnd(key, range));
    const bytes = await this.call('get', key, (signal, progress) => {
      // `end` is inclusive; whole objects are checked against their stored hash.
      const options = range ? { start: range.offset, end: range.offset + range.length - 1, validation: false as const } : { validation: VALIDATION };
      return readAll(this.bucket.file(key).createReadStream(options), signal, progress).catch(emptyIfRangeNotSatisfiable);
    });
    if (range && bytes.length !== range.length) throw this.pastTheEnd(key, range);
    return bytes;
  }

  async stat(h: Handle): Promise<ObjectInfo> {
    const key = this.keys.key(h);
    const [metadata] = await this.call('stat', key, () => this.bucket.file(key).getMetadata());
    return { size: Number(metadata.size), mtime: new Date(metadata.updated ?? 0) };
  }

  async *list(type: FileType): AsyncIterable<ListedObject> {
    const prefix = this.keys.listPrefix(type);
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.call('list', prefix, () => this.bucket.getFiles({ prefix, autoPaginate: false, maxResults: LIST_PAGE_SIZE, pageToken }));
      for (const file of files) {
        const name = this.keys.nameOf(type, file.name);
        if (name !== undefined) yield { name, size: Number(file.metadata.size), mtime: new Date(file.metadata.updated ?? 0) };
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
  }

  async delete(h: Handle): Promise<void> {
    const key = this.keys.key(h);
    await this.call('delete', key, () => this.bucket.file(key).delete());
  }

  async createLocation(): Promise<void> {
    await this.call('createLocation', undefined, async () => {
      const [exists] = await this.bucket.exists();
      if (exists) return;
      // 409: created meanwhile by someone else, which is just as good.
      await this.bucket.create().catch((err: unknown) => {
        if (httpStatus(err) !== 409) throw err;
      });
    });
  }

  async close(): Promise<void> {}

  private call<T>(operation: Operation, key: string | undefined, run: (signal: AbortSignal, progress: () => void) => Promise<T>): Promise<T> {
    return classifiedCall(this.idleMs, run, (err) => this.classify(err, operation, key));
  }

  /** One sentence naming the bucket and the operation; never an SDK message with URLs or headers. */
  private async classify(err: unknown, operation: Operation, key: string | undefined): Promise<StorageError> {
    if (err instanceof StorageError) return err;
    const bucket = `bucket "${this.bucket.name}"`;
    const fail = (kind: StorageError['kind'], what: string, retryHint?: RetryHint) =>
      new StorageError(kind, `[storage:gcs] ${what} (${operation}${key === undefined ? '' : ` ${key}`})`, { cause: err, retryHint });
    const status = httpStatus(err);
    if (status === 404) {
      // The emulator answers a bare "Not Found" for a missing bucket and object alike: ask.
      const objectLevel = operation === 'get' || operation === 'stat' || operation === 'delete';
      if (objectLevel && (await this.bucketExists())) return fail('not-found', `no such object in ${bucket}`);
      return fail('permanent', `${bucket} does not exist`);
    }
    if (status === 401 || status === 403) return fail('permanent', `access to ${bucket} was denied (HTTP ${status}): check the credentials`);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && DAMAGED_IN_TRANSIT.has(code)) return fail('transient', `data to or from ${bucket} was damaged in transit (${code})`);
    const reason = (err as { errors?: { reason?: unknown }[] }).errors?.[0]?.reason;
    const failure = classifyCloudFailure(err, typeof reason === 'string' ? reason : undefined);
    if (failure.answered) return failure.kind === 'transient' ? fail('transient', `${bucket} answered ${failure.reason}`, failure.retryHint) : fail('permanent', `${bucket} refused the request (${failure.reason})`);
    if (failure.kind === 'transient') return fail('transient', `${bucket} is unreachable (${failure.reason})`, failure.retryHint);
    return fail('permanent', `the request to ${bucket} failed: ${failure.reason}`);
  }

  /** Whether the bucket exists; true when that cannot be told (the original 404 then stands). */
  private async bucketExists(): Promise<boolean> {
    try {
      return (await withIdleTimeout(this.idleMs, () => this.bucket.exists()))[0];
    } catch {
      return true;
    }
  }

  private pastTheEnd(key: string, range: ByteRange): StorageError {
    return new StorageError('permanent', `[storage:gcs] range ${range.offset}+${range.length} is past the end of the object in bucket "${this.bucket.name}" (get ${key})`);
  }
}
