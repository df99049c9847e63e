// Azure Blob Storage backend (@azure/storage-blob): one block blob per repository file under the
// prefix, large objects staged in blocks and committed in one block list (atomic), ranged reads,
// errors classified for the retry wrapper (the SDK's own retries are off). Credentials, first
// found: the config's connection string; the account key (config or AZURE_STORAGE_KEY) with the
// endpoint (default https://ACCOUNT.blob.core.windows.net); AZURE_STORAGE_CONNECTION_STRING.
// Loaded lazily by open.ts.

import { Readable } from 'node:stream';
import { BlobServiceClient, ContainerClient, ContainerListBlobFlatSegmentResponse, StoragePipelineOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import { classifiedCall, classifyCloudFailure, CloudCallOptions, DEFAULT_IDLE_TIMEOUT_MS, emptyIfRangeNotSatisfiable, emptyRange, httpStatus, readAll, safeDetail } from './cloudCalls.js';
import { AzureConfig, describeConfig } from './config.js';
import { ObjectKeys } from './objectKeys.js';
import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, RetryHint, Storage, StorageError } from './storage.js';

/** Objects up to this size go up in one request; larger ones in blocks of this size. */
const BLOCK_BYTES = 8 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;
const LIST_PAGE_SIZE = 1000;

type Operation = 'put' | 'get' | 'stat' | 'list' | 'delete' | 'createLocation';

export function createAzureStorage(config: AzureConfig, options: CloudCallOptions = {}): Storage {
  return new AzureStorage(config, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
}

function serviceClient(config: AzureConfig): BlobServiceClient {
  const options: StoragePipelineOptions = { retryOptions: { maxTries: 1 } };
  const key = config.accountKey ?? process.env.AZURE_STORAGE_KEY;
  const connectionString = config.connectionString ?? (key ? undefined : process.env.AZURE_STORAGE_CONNECTION_STRING);
  if (connectionString) {
    try {
      return BlobServiceClient.fromConnectionString(connectionString, options);
    } catch (err) {
      throw new StorageError('permanent', `[storage:azure] the connection string for account "${config.account}" is invalid: ${safeDetail(err)}`, { cause: err });
    }
  }
  if (!key) throw new StorageError('permanent', `[storage:azure] no credentials for account "${config.account}": set AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING`);
  const endpoint = config.endpoint ?? `https://${config.account}.blob.core.windows.net`;
  return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(config.account, key), options);
}

class AzureStorage implements Storage {
  readonly location: string;
  private readonly container: ContainerClient;
  private readonly keys: ObjectKeys;

  constructor(
    private readonly config: AzureConfig,
    private readonly idleMs: number,
  ) {
    this.location = describeConfig(config);
    this.keys = new ObjectKeys(config.prefix);
    this.container = serviceClient(config).getContainerClient(config.container);
  }

  async put(h: Handle, data: Uint8Array): Promise<void> {
    const key = this.keys.key(h);
    await this.call('put', key, (abortSignal, progress) =>
      this.container.getBlockBlobClient(key).uploadData(data, {
        blockSize: BLOCK_BYTES,
        maxSingleShotSize: BLOCK_BYTES,
        concurrency: UPLOAD_CONCURRENCY,
        abortSignal,
        onProgress: progress,
      }),
    );
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    const key = this.keys.key(h);
    if (range?.length === 0) return emptyRange(range, async () => (await this.stat(h)).size, () => this.pastTheEnd(key, range));
    const bytes = await this.call('get', key, async (abortSignal, progress) => {
      try {
        const response = await this.container.getBlobClient(key).download(range?.offset ?? 0, range?.length, { abortSignal, maxRetryRequests: 0, onProgress: progress });
        return await readAll(response.readableStreamBody as Readable, abortSignal, progress);
      } catch (err) {
        return emptyIfRangeNotSatisfiable(err);
      }
    });
    if (range && bytes.length !== range.length) throw this.pastTheEnd(key, range);
    return bytes;
  }

  async stat(h: Handle): Promise<ObjectInfo> {
    const key = this.keys.key(h);
    const properties = await this.call('stat', key, (abortSignal) => this.container.getBlobClient(key).getProperties({ abortSignal }));
    return { size: properties.contentLength ?? 0, mtime: properties.lastModified ?? new Date(0) };
  }

  async *list(type: FileType): AsyncIterable<ListedObject> {
    const prefix = this.keys.listPrefix(type);
    let continuationToken: string | undefined;
    do {
      const page: ContainerListBlobFlatSegmentResponse = await this.call('list', prefix, async (abortSignal) =>
        (await this.container.listBlobsFlat({ prefix, abortSignal }).byPage({ continuationToken, maxPageSize: LIST_PAGE_SIZE }).next()).value,
      );
      for (const blob of page.segment.blobItems) {
        const name = this.keys.nameOf(type, blob.name);
        if (name !== undefined) yield { name, size: blob.properties.contentLength ?? 0, mtime: blob.properties.lastModified };
      }
      continuationToken = page.continuationToken || undefined;
    } while (continuationToken);
  }

  async delete(h: Handle): Promise<void> {
    const key = this.keys.key(h);
    await this.call('delete', key, (abortSignal) => this.container.getBlobClient(key).delete({ abortSignal }));
  }

  async createLocation(): Promise<void> {
    await this.call('createLocation', undefined, (abortSignal) => this.container.createIfNotExists({ abortSignal }));
  }

  async close(): Promise<void> {}

  private call<T>(operation: Operation, key: string | undefined, run: (signal: AbortSignal, progress: () => void) => Promise<T>): Promise<T> {
    return classifiedCall(this.idleMs, run, (err) => this.classify(err, operation, key));
  }

  /** One sentence naming the container and the operation; never an SDK message with URLs or headers. */
  private classify(err: unknown, operation: Operation, key: string | undefined): StorageError {
    if (err instanceof StorageError) return err;
    const container = `container "${this.config.container}"`;
    const fail = (kind: StorageError['kind'], what: string, retryHint?: RetryHint) =>
      new StorageError(kind, `[storage:azure] ${what} (${operation}${key === undefined ? '' : ` ${key}`})`, { cause: err, retryHint });
    const status = httpStatus(err);
    // HEAD requests carry the service's error code only in details (from x-ms-error-code).
    const e = err as { code?: unknown; details?: { errorCode?: unknown } };
    const code = [e.code, e.details?.errorCode].find((c): c is string => typeof c === 'string');
    const answer = `HTTP ${status ?? '?'}${code ? ` ${code}` : ''}`;
    if (code === 'ContainerNotFound') return fail('permanent', `${container} does not exist`);
    if (status === 404) return fail('not-found', `no such blob in ${container}`);
    if (status === 401 || status === 403) return fail('permanent', `account "${this.config.account}" refused the credentials for ${container} (${answer}): check AZURE_STORAGE_KEY or the connection string`);
    const failure = classifyCloudFailure(err, code);
    if (failure.answered) return failure.kind === 'transient' ? fail('transient', `${container} answered ${failure.reason}`, failure.retryHint) : fail('permanent', `${container} refused the request (${failure.reason})`);
    if (failure.kind === 'transient') return fail('transient', `account "${this.config.account}" is unreachable (${failure.reason})`, failure.retryHint);
    return fail('permanent', `the request to ${container} failed: ${failure.reason}`);
  }

  private pastTheEnd(key: string, range: ByteRange): StorageError {
    return new StorageError('permanent', `[storage:azure] range ${range.offset}+${range.length} is past the end of the blob in container "${this.config.container}" (get ${key})`);
  }
}
