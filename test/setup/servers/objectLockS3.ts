// An S3 server that enforces Object Lock, for the immutable-repository tests: moto's server
// (`moto_server`, PyPI moto[server], installed by scripts/setup.sh into .tools/venv) on a free
// 127.0.0.1 port. It refuses to delete a locked version and applies a bucket's default retention
// to every put, as S3 does; it accepts any credentials. Started by the tests that need it.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { StartedServer } from './index';
import { freePort, HOST, projectRoot, startLocalServer } from './localServer';

export async function startObjectLockS3Server(): Promise<StartedServer & { endpoint: string }> {
  const moto = path.join(projectRoot(), '.tools', 'venv', 'bin', 'moto_server');
  if (!existsSync(moto)) throw new Error(`${moto} is missing: run scripts/setup.sh`);
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const server = await startLocalServer({
    name: 'moto-s3',
    command: moto,
    args: () => ['-H', HOST, '-p', String(port)],
    ready: () => listBuckets(endpoint),
    env: { MERIDIAN_TEST_LOCK_S3_ENDPOINT: endpoint },
  });
  return { ...server, endpoint };
}

async function listBuckets(endpoint: string): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'any', secretAccessKey: 'any' } });
  try {
    await client.send(new ListBucketsCommand({}));
  } finally {
    client.destroy();
  }
}
