// The S3 backend against the real SeaweedFS server of the test setup: the storage conformance
// and append-only suites, bucket creation, classified errors for bad credentials, a missing bucket and a closed
// port (one sentence, naming the bucket, never a secret), and exact ranged reads of a multipart object.

import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../storage/config';
import { createS3Storage } from '../../storage/s3';
import { Storage, StorageError } from '../../storage/storage';
import { pseudoRandomBytes } from '../helpers/trees';
import { describeStorageConformance } from '../storage/conformance';
import { describeAppendOnly } from '../storage/appendOnlyConformance';
import { openStorageFromConfig } from '../../storage/open';

const BUCKET = `meridian-s3-${process.pid}`;
let prefixes = 0;

function s3Config(overrides: Partial<S3Config> = {}): S3Config {
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts SeaweedFS.');
  prefixes += 1;
  return { type: 's3', bucket: BUCKET, prefix: `t${prefixes}/repo`, endpoint, region: 'us-east-1', pathStyle: true, ...overrides };
}

async function failure(run: () => Promise<unknown>): Promise<StorageError> {
  const err = await run().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

const config = { type: 'config', name: 'config' } as const;
const open: Storage[] = [];
function storage(overrides: Partial<S3Config> = {}): Storage {
  const s = createS3Storage(s3Config(overrides));
  open.push(s);
  return s;
}

beforeAll(async () => {
  await storage().createLocation!();
});

afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
});

describeStorageConformance({ name: 's3 (SeaweedFS)', create: async () => createS3Storage(s3Config()) });

describeAppendOnly({
  name: 's3 (SeaweedFS)',
  create: async () => {
    const config = s3Config();
    return { appendOnly: await openStorageFromConfig(config, { appendOnly: true }), full: await openStorageFromConfig(config) };
  },
});

test('location is s3://bucket/prefix without credentials', () => {
  expect(storage({ prefix: 'a/b', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' }).location).toBe(`s3://${BUCKET}/a/b`);
});

test('createLocation creates a missing bucket and is idempotent', async () => {
  const s = storage({ bucket: `meridian-new-${process.pid}` });
  expect((await failure(() => s.get(config))).kind).toBe('permanent');
  await s.createLocation!();
  await s.createLocation!();
  await s.put(config, Buffer.from('{}'));
  expect(Buffer.from(await s.get(config)).toString()).toBe('{}');
});

test('a wrong secret or an unknown key is a permanent error naming the bucket, without the secret', async () => {
  const secret = 'wrong-secret-0123456789abcdef';
  for (const accessKeyId of [process.env.AWS_ACCESS_KEY_ID!, 'unknown-key']) {
    const s = storage({ accessKeyId, secretAccessKey: secret });
    for (const op of [() => s.get(config), () => s.put(config, Buffer.from('x')), () => s.stat(config)]) {
      const err = await failure(op);
      expect(err.kind).toBe('permanent');
      expect(err.message).toContain(`bucket "${BUCKET}"`);
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toContain(process.env.AWS_SECRET_ACCESS_KEY);
      expect(err.message.split('\n')).toHaveLength(1);
    }
  }
});

test('a missing bucket is a permanent error naming it', async () => {
  const bucket = `meridian-missing-${process.pid}`;
  const s = storage({ bucket });
  const ops = [
    () => s.get(config),
    () => s.put({ type: 'keys', name: 'a'.repeat(64) }, Buffer.from('x')),
    async () => {
      for await (const _ of s.list('snapshots'));
    },
  ];
  for (const op of ops) {
    const err = await failure(op);
    expect(err.kind).toBe('permanent');
    expect(err.message).toMatch(new RegExp(`^\\[storage:s3\\] bucket "${bucket}" does not exist \\((get|put|list) `));
  }
});

test('a closed port is a transient error', async () => {
  const err = await failure(() => storage({ endpoint: 'http://127.0.0.1:9' }).get(config));
  expect(err.kind).toBe('transient');
  expect(err.message).toContain('ECONNREFUSED');
});

test('a 70 MiB object goes up in parts, and ranged reads across part boundaries are exact', async () => {
  const cfg = s3Config();
  const s = storage(cfg);
  const h = { type: 'data', name: 'fe'.repeat(32) } as const;
  const data = pseudoRandomBytes(70 * 1024 * 1024, 7);
  await s.put(h, data);

  const client = new S3Client({ endpoint: cfg.endpoint, region: 'us-east-1', forcePathStyle: true });
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${cfg.prefix}/data/fe/${h.name}` }));
    expect(head.ETag).toMatch(/-\d+"$/); // a multipart ETag: md5-of-parts "-" part count
  } finally {
    client.destroy();
  }
  expect(await s.stat(h)).toMatchObject({ size: data.length });
  const MiB = 1024 * 1024;
  for (const [offset, length] of [[0, 1], [16 * MiB - 5, 10], [16 * MiB, 16 * MiB], [33 * MiB + 17, 20 * MiB], [data.length - 3, 3]] as const) {
    expect(Buffer.from(await s.get(h, { offset, length })).equals(data.subarray(offset, offset + length))).toBe(true);
  }
  expect(Buffer.from(await s.get(h)).equals(data)).toBe(true);
  expect((await failure(() => s.get(h, { offset: data.length - 3, length: 4 }))).kind).toBe('permanent');
});
