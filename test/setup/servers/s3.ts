// The S3 server of the integration tests: a real SeaweedFS (`weed server -s3`, installed by
// scripts/setup.sh into .tools/venv) on free 127.0.0.1 ports, with throwaway data in a temp folder
// and one identity whose key and secret the server enforces. Loaded by globalSetup through plain
// require: import TypeScript siblings without the `.js` suffix.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { ServerStarter } from './index';
import { freePorts } from '../../../worker/freePorts';
import { HOST, projectRoot, startLocalServer } from './localServer';

const ACCESS_KEY_ID = 'meridian-test';

export interface S3ServerOptions {
  /** The identity's secret key, random unless given (the replication benchmark and the outage drill run several servers under one identity, since every tool reads the key from the environment). */
  secret?: string;
  /** A folder of the caller's, kept when the server stops, and its 8 ports: the same pair starts the same server again on its data (the outage drill). */
  kept?: { dir: string; ports: number[] };
}

export const startS3Server = async (options: S3ServerOptions = {}): ReturnType<ServerStarter> => {
  const weed = path.join(projectRoot(), '.tools', 'venv', 'bin', 'weed');
  if (!existsSync(weed)) throw new Error(`${weed} is missing: run scripts/setup.sh`);
  const secret = options.secret ?? randomBytes(16).toString('hex');
  const identities = { identities: [{ name: 'meridian', credentials: [{ accessKey: ACCESS_KEY_ID, secretKey: secret }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] };
  const ports = options.kept?.ports ?? (await freePorts(8));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = ports;
  const endpoint = `http://${HOST}:${s3}`;

  return startLocalServer({
    name: 'seaweedfs-s3',
    command: weed,
    ...(options.kept ? { dir: options.kept.dir } : {}),
    prepare: (dir) => {
      writeFileSync(path.join(dir, 's3.json'), JSON.stringify(identities), { mode: 0o600 });
      mkdirSync(path.join(dir, 'data'), { recursive: true });
    },
    // -s3.autoCreateBucket=false: a missing bucket must stay missing (tests expect NoSuchBucket).
    // Every bucket is a collection with volumes of its own: small volumes, as many as the disk
    // holds (-volume.max=0), so that the tests' many buckets never run out of volume slots.
    args: (dir) => ['-logtostderr', 'server', `-dir=${path.join(dir, 'data')}`, `-ip=${HOST}`, `-ip.bind=${HOST}`,
      `-master.port=${master}`, `-master.port.grpc=${masterGrpc}`, '-master.telemetry=false', '-master.volumeSizeLimitMB=256',
      // A restart on kept raft state waits out the election timeout (default 10 s, twice) before it answers.
      ...(options.kept ? ['-master.electionTimeout=1s'] : []),
      `-volume.port=${volume}`, `-volume.port.grpc=${volumeGrpc}`, '-volume.max=0', '-volume.preStopSeconds=0',
      '-filer', `-filer.port=${filer}`, `-filer.port.grpc=${filerGrpc}`,
      '-s3', `-s3.port=${s3}`, `-s3.port.grpc=${s3Grpc}`, '-s3.port.iceberg=0', '-s3.port.lance=0',
      `-s3.config=${path.join(dir, 's3.json')}`, '-s3.autoCreateBucket=false'],
    ready: () => listBuckets(endpoint, secret),
    // weed also makes an identity of AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment,
    // which would replace ours when this process already has another server's (a bench under jest).
    processEnv: withoutAwsCredentials(process.env),
    env: {
      MERIDIAN_TEST_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_REGION: 'us-east-1',
    },
    // startLocalServer stops with SIGKILL to the process group: weed takes well over 10 s to act
    // on SIGTERM. weed also listens on unix sockets named after its ports, in /tmp.
    afterStop: () => {
      const ours = new Set(ports.map(String));
      for (const name of readdirSync('/tmp')) {
        const port = /^seaweedfs-.*-(\d+)\.sock$/.exec(name)?.[1];
        if (port && ours.has(port)) rmSync(path.join('/tmp', name), { force: true });
      }
    },
  });
};

function withoutAwsCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...rest } = env;
  return rest;
}

/** One ListBuckets with the test identity: succeeds once the S3 gateway answers. */
async function listBuckets(endpoint: string, secret: string): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: secret } });
  try {
    await client.send(new ListBucketsCommand({}));
  } finally {
    client.destroy();
  }
}
