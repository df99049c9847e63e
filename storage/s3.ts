// S3 backend (AWS S3 and compatible servers such as SeaweedFS or MinIO) on @aws-sdk/client-s3:
// one object per file under `prefix/`, single PUTs (multipart through lib-storage for very large
// objects), ranged GETs for pack offsets, and every SDK error classified in one place. The SDK's
// own retries are off: the retry wrapper retries transient errors.

import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { classifyCloudFailure, httpStatus } from './cloudCalls.js';
import { describeConfig, type S3Config } from './config.js';
import { ObjectKeys } from './objectKeys.js';
import { ByteRange, FileType, Handle, ListedObject, ObjectInfo, objectPath, RetryHint, Storage, StorageError } from './storage.js';

const MiB = 1024 * 1024;
/**
 * Objects up to this size go in one PutObject. Packs are cut once they reach the pack size
 * (16 MiB by default), so they are usually a few MiB over it: a threshold at the pack size would
 * turn nearly every pack into 4+ requests instead of one.
 */
const MULTIPART_THRESHOLD = 64 * MiB;
const PART_SIZE = 16 * MiB;
const AUTH_NAMES: Record<string, string> = {
  InvalidAccessKeyId: 'the access key ID is not known',
  SignatureDoesNotMatch: 'the secret key does not match the access key',
  ExpiredToken: 'the session token has expired',
  InvalidToken: 'the session token is invalid',
};

export function createS3Storage(config: S3Config): Storage {
  return new S3Storage(config);
}

/** The SDK client for a config: its own retries off (the retry wrapper or the activity retries). */
export function createS3Client(config: S3Config): S3Client {
  // The SDK warns on stderr that it will soon need Node 22; CLI commands keep stderr for errors.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { accessKeyId, secretAccessKey } = config;
  return new S3Client({
    region: config.region ?? 'us-east-1',
    endpoint: config.endpoint,
    forcePathStyle: config.pathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    maxAttempts: 1,
    // A black-holed server must fail the request (transient), not hang it.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000, throwOnRequestTimeout: true, socketTimeout: 60_000 },
  });
}

class S3Storage implements Storage {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly keys: ObjectKeys;

  constructor(private readonly config: S3Config) {
    this.location = describeConfig(config);
    this.bucket = config.bucket;
    this.keys = new ObjectKeys(config.prefix);
    this.client = createS3Client(config);
  }

  async put(h: Handle, data: Uint8Array): Promise<void> {
    const params = { Bucket: this.bucket, Key: this.keys.key(h), Body: data };
    try {
      if (data.length <= MULTIPART_THRESHOLD) await this.client.send(new PutObjectCommand(params));
      else await new Upload({ client: this.client, params, partSize: PART_SIZE, queueSize: 4 }).done();
    } catch (err) {
      throw classifyS3Error(this.config, err, `put ${shortPath(h)}`);
    }
  }

  async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    const Key = this.keys.key(h);
    if (range?.length === 0) {
      if (range.offset > (await this.stat(h)).size) throw this.pastEnd(h, range);
      return new Uint8Array(0);
    }
    try {
      const Range = range && `bytes=${range.offset}-${range.offset + range.length - 1}`;
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range }));
      const bytes = response.Body ? await response.Body.transformToByteArray() : new Uint8Array(0);
      if (response.ContentLength !== undefined && bytes.length !== response.ContentLength) {
        throw new StorageError('transient', `[storage:s3] the response for ${shortPath(h)} in bucket "${this.bucket}" was cut short (${bytes.length} of ${response.ContentLength} bytes)`);
      }
      if (range && bytes.length !== range.length) throw this.pastEnd(h, range);
      return bytes;
    } catch (err) {
      throw classifyS3Error(this.config, err, `get ${shortPath(h)}`);
    }
  }

  async stat(h: Handle): Promise<ObjectInfo> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keys.key(h) }));
      return { size: head.ContentLength ?? 0, mtime: head.LastModified ?? new Date(0) };
    } catch (err) {
      throw classifyS3Error(this.config, err, `stat ${shortPath(h)}`);
    }
  }

  async *list(type: FileType): AsyncIterable<ListedObject> {
    const Prefix = this.keys.listPrefix(type);
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }));
      } catch (err) {
        throw classifyS3Error(this.config, err, `list ${type}`);
      }
      for (const { Key, Size, LastModified } of page.Contents ?? []) {
        const name = Key && this.keys.nameOf(type, Key);
        if (name) yield { name, size: Size ?? 0, mtime: LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async delete(h: Handle): Promise<void> {
    // DeleteObject succeeds on a missing key; the contract wants 'not-found', so look first.
    await this.stat(h);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keys.key(h) }));
    } catch (err) {
      throw classifyS3Error(this.config, err, `delete ${shortPath(h)}`);
    }
  }

  async createLocation(): Promise<void> {
    await createBucketIfMissing(this.client, this.config);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private pastEnd(h: Handle, range: ByteRange): StorageError {
    return new StorageError('permanent', `[storage:s3] range ${range.offset}+${range.length} is past the end of ${shortPath(h)} in bucket "${this.bucket}"`);
  }
}

/**
 * Creates the config's bucket unless it exists (with Object Lock when asked, which S3 can turn on
 * only at creation); true when this call created it. A bucket created meanwhile by someone else
 * with these credentials counts as existing.
 */
export async function createBucketIfMissing(client: S3Client, config: S3Config, options: { objectLock?: boolean } = {}): Promise<boolean> {
  const Bucket = config.bucket;
  try {
    await client.send(new HeadBucketCommand({ Bucket }));
    return false;
  } catch (err) {
    if (httpStatus(err) !== 404) throw classifyS3Error(config, err, 'create bucket');
  }
  const region = config.region ?? 'us-east-1';
  const location = region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint };
  try {
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: location, ...(options.objectLock ? { ObjectLockEnabledForBucket: true } : {}) }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'BucketAlreadyOwnedByYou') return false;
    throw classifyS3Error(config, err, 'create bucket');
  }
}

/**
 * Turns SDK and network errors into StorageErrors, without credentials: S3's own named cases
 * here, everything else by the cloud backends' one rule (classifyCloudFailure).
 */
export function classifyS3Error(config: S3Config, err: unknown, op: string): StorageError {
  if (err instanceof StorageError) return err;
  const name = (err as { name?: string }).name ?? '';
  const status = httpStatus(err);
  const bucket = `bucket "${config.bucket}"`;
  const fail = (kind: StorageError['kind'], text: string, retryHint?: RetryHint) => new StorageError(kind, `[storage:s3] ${text} (${op})`, { cause: err, retryHint });

  if (name === 'NoSuchBucket') return fail('permanent', `${bucket} does not exist`);
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return fail('not-found', `object not found in ${bucket}`);
  if (AUTH_NAMES[name]) return fail('permanent', `credentials rejected for ${bucket}: ${AUTH_NAMES[name]}`);
  if (name === 'AccessDenied' || status === 401 || status === 403) return fail('permanent', `access denied to ${bucket}`);
  if (name === 'CredentialsProviderError') return fail('permanent', `no credentials for ${bucket}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  const failure = classifyCloudFailure(err, name === 'Error' ? undefined : name || undefined);
  if (failure.kind === 'transient') return fail('transient', `${bucket} is unreachable or failing at ${config.endpoint ?? 'AWS'}: ${failure.reason}`, failure.retryHint);
  return fail('permanent', failure.answered ? `request to ${bucket} refused: ${failure.reason}` : `request to ${bucket} failed: ${failure.reason}`);
}

/** `data/ab/abcdef012345…`: enough of a name to recognise it in a message. */
export function shortPath(h: Handle): string {
  const path = objectPath(h);
  return h.name.length > 16 ? `${path.slice(0, path.length - h.name.length + 12)}…` : path;
}
