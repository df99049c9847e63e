// The object versions of a repository in an S3 bucket with Object Lock (an immutable repository):
// the bucket's lock policy, every version and delete marker of every repository file, their
// retention, and the few writes that maintenance and recovery make to versions (extend a
// retention, delete an expired version, make an old version current again). The repository's
// ordinary reads and writes go through storage/s3.ts; only core/immutability.ts uses this.

import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { configFromUrl, describeConfig, type S3Config } from './config.js';
import { ObjectKeys } from './objectKeys.js';
import { classifyS3Error, createBucketIfMissing, createS3Client, shortPath } from './s3.js';
import { Handle, StorageError } from './storage.js';
import type { ImmutablePolicy } from '../core/immutablePolicy.js';

/** One version of a repository file, or a delete marker (`deleteMarker`, size 0). */
export interface ObjectVersion {
  handle: Handle;
  versionId: string;
  modified: Date;
  /** The version a plain read gets (or the marker that hides the file). */
  latest: boolean;
  deleteMarker: boolean;
  size: number;
}

/** What maintenance and rollback use of a bucket's versions. */
export type VersionStore = Pick<S3Versions, 'versions' | 'retainedUntil' | 'retain' | 'deleteVersion' | 'hide' | 'reinstate'>;

const MODES = { governance: 'GOVERNANCE', compliance: 'COMPLIANCE' } as const;

export class S3Versions {
  readonly location: string;
  private readonly client: S3Client;
  private readonly keys: ObjectKeys;

  constructor(private readonly config: S3Config) {
    this.client = createS3Client(config);
    this.keys = new ObjectKeys(config.prefix);
    this.location = describeConfig(config);
  }

  /** The bucket's default retention, or undefined when Object Lock is off (or has no default). */
  async policy(): Promise<ImmutablePolicy | undefined> {
    try {
      const answer = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.config.bucket }));
      const rule = answer.ObjectLockConfiguration?.Rule?.DefaultRetention;
      if (answer.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled' || !rule?.Mode) return undefined;
      const days = (rule.Days ?? 0) + 365 * (rule.Years ?? 0);
      return { days, mode: rule.Mode === 'COMPLIANCE' ? 'compliance' : 'governance' };
    } catch (err) {
      if (isLockNotConfigured(err)) return undefined;
      throw this.fail(err, 'read the object lock configuration');
    }
  }

  /**
   * Makes the bucket hold an immutable repository: creates it with Object Lock (which also turns on
   * versioning) when missing, and sets its default retention, so that every object put in it is
   * locked whoever writes it. An existing bucket without Object Lock is refused: S3 cannot turn it
   * on for a bucket afterwards without AWS support.
   */
  async enable(policy: ImmutablePolicy): Promise<void> {
    const Bucket = this.config.bucket;
    if (!(await createBucketIfMissing(this.client, this.config, { objectLock: true })) && !(await this.lockEnabled())) {
      throw new StorageError('permanent', `[storage:s3] bucket "${Bucket}" exists without Object Lock, which cannot be turned on afterwards; use a new bucket for an immutable repository`);
    }
    try {
      await this.client.send(
        new PutObjectLockConfigurationCommand({
          Bucket,
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: MODES[policy.mode], Days: policy.days } } },
        }),
      );
    } catch (err) {
      throw this.fail(err, 'set the default retention');
    }
  }

  private async lockEnabled(): Promise<boolean> {
    try {
      const answer = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.config.bucket }));
      return answer.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
    } catch (err) {
      if (isLockNotConfigured(err)) return false;
      throw this.fail(err, 'read the object lock configuration');
    }
  }

  /** Every version and delete marker of every repository file under the prefix: one listing of the whole prefix, 1,000 a page. */
  async *versions(): AsyncIterable<ObjectVersion> {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectVersionsCommand({ Bucket: this.config.bucket, Prefix: this.keys.rootPrefix(), KeyMarker, VersionIdMarker }));
      } catch (err) {
        throw this.fail(err, 'list versions');
      }
      const entries = [...(page.Versions ?? []).map((v) => ({ ...v, marker: false })), ...(page.DeleteMarkers ?? []).map((m) => ({ ...m, Size: 0, marker: true }))];
      for (const entry of entries) {
        const handle = entry.Key && this.keys.handleOf(entry.Key);
        if (!handle || !entry.VersionId) continue;
        yield { handle, versionId: entry.VersionId, modified: entry.LastModified ?? new Date(0), latest: entry.IsLatest === true, deleteMarker: entry.marker, size: entry.Size ?? 0 };
      }
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker !== undefined);
  }

  /** When a version's retention ends (undefined: it has none). */
  async retainedUntil(version: ObjectVersion): Promise<Date | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.keys.key(version.handle), VersionId: version.versionId }));
      return head.ObjectLockRetainUntilDate;
    } catch (err) {
      throw this.fail(err, `read the retention of ${shortPath(version.handle)}`);
    }
  }

  /** Sets a version's retention to end at `until` (S3 refuses to shorten a compliance retention). */
  async retain(version: ObjectVersion, policy: ImmutablePolicy, until: Date): Promise<void> {
    try {
      await this.client.send(
        new PutObjectRetentionCommand({
          Bucket: this.config.bucket,
          Key: this.keys.key(version.handle),
          VersionId: version.versionId,
          Retention: { Mode: MODES[policy.mode], RetainUntilDate: until },
        }),
      );
    } catch (err) {
      throw this.fail(err, `extend the retention of ${shortPath(version.handle)}`);
    }
  }

  /** Deletes one version for good (S3 refuses while its retention runs). */
  async deleteVersion(version: ObjectVersion): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keys.key(version.handle), VersionId: version.versionId }));
    } catch (err) {
      throw this.fail(err, `delete a version of ${shortPath(version.handle)}`);
    }
  }

  /** Hides a file behind a delete marker (its versions stay). */
  async hide(handle: Handle): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keys.key(handle) }));
    } catch (err) {
      throw this.fail(err, `hide ${shortPath(handle)}`);
    }
  }

  /**
   * Makes an older version current again: its bytes are read and put back as the newest version
   * (locked anew by the default retention). Not a server-side copy: servers that enforce Object
   * Lock differ on the checksum headers a copy into a locked bucket needs, while every one takes
   * a put with the SDK's checksum.
   */
  async reinstate(version: ObjectVersion): Promise<void> {
    const Key = this.keys.key(version.handle);
    try {
      const read = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key, VersionId: version.versionId }));
      const body = read.Body ? await read.Body.transformToByteArray() : new Uint8Array(0);
      if (body.length !== version.size) throw new StorageError('transient', `[storage:s3] read ${body.length} of ${version.size} bytes of a version of ${shortPath(version.handle)}`);
      await this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key, Body: body }));
    } catch (err) {
      throw this.fail(err, `reinstate ${shortPath(version.handle)}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private fail(err: unknown, op: string): StorageError {
    return classifyS3Error(this.config, err, op);
  }
}

/** The versions of an S3 repository URL; anything else is refused with one sentence. */
export function openS3Versions(url: string): S3Versions {
  const config = configFromUrl(url);
  if (config.type !== 's3') {
    throw new StorageError('permanent', `[storage] immutable repositories are supported on S3 (Object Lock) only; ${config.type} is not`);
  }
  return new S3Versions(config);
}

function isLockNotConfigured(err: unknown): boolean {
  return (err as { name?: string }).name === 'ObjectLockConfigurationNotFoundError';
}
