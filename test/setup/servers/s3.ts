// The S3 server of the integration tests: a real SeaweedFS (`weed server -s3`, installed by
// scripts/setup.sh into .tools/venv) on free 127.0.0.1 ports, with throwaway data in a temp folder
// and one identity whose key and secret the server enforces. Loaded by globalSetup through plain
// require: import TypeScript siblings without the `.js` suffix.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { ServerStarter } from './index';
import { freePorts } from '../../../worker/freePorts';
import { projectRoot } from './localServer';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
const ACCESS_KEY_ID = 'meridian-test';

export const startS3Server: ServerStarter = async () => {
  const weed = path.join(projectRoot(), '.tools', 'venv', 'bin', 'weed');
  if (!existsSync(weed)) throw new Error(`${weed} is missing: run scripts/setup.sh`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meridian-seaweedfs-'));
  const secret = randomBytes(16).toString('hex');
  const identities = { identities: [{ name: 'meridian', credentials: [{ accessKey: ACCESS_KEY_ID, secretKey: secret }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] };
  writeFileSync(path.join(dir, 's3.json'), JSON.stringify(identities), { mode: 0o600 });
  mkdirSync(path.join(dir, 'data'));

  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await freePorts(8);
  const logFile = path.join(dir, 'weed.log');
  const logFd = openSync(logFile, 'a');
  // -s3.autoCreateBucket=false: a missing bucket must stay missing (tests expect NoSuchBucket).
  // Every bucket is a collection with volumes of its own: small volumes, as many as the disk
  // holds (-volume.max=0), so that the tests' many buckets never run out of volume slots.
  const args = ['-logtostderr', 'server', `-dir=${path.join(dir, 'data')}`, `-ip=${HOST}`, `-ip.bind=${HOST}`,
    `-master.port=${master}`, `-master.port.grpc=${masterGrpc}`, '-master.telemetry=false', '-master.volumeSizeLimitMB=256',
    `-volume.port=${volume}`, `-volume.port.grpc=${volumeGrpc}`, '-volume.max=0', '-volume.preStopSeconds=0',
    '-filer', `-filer.port=${filer}`, `-filer.port.grpc=${filerGrpc}`,
    '-s3', `-s3.port=${s3}`, `-s3.port.grpc=${s3Grpc}`, '-s3.port.iceberg=0', '-s3.port.lance=0',
    `-s3.config=${path.join(dir, 's3.json')}`, '-s3.autoCreateBucket=false'];
  const child = spawn(weed, args, { cwd: dir, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: string | undefined;
  const gone = new Promise<void>((resolve) => {
    const end = (reason: string) => {
      exited = reason;
      resolve();
    };
    child.once('exit', (code, signal) => end(`exited with ${signal ?? code}`));
    child.once('error', (err) => end(`could not start: ${err.message}`));
  });

  // SIGKILL: the data is throwaway, and weed takes well over 10 s to act on SIGTERM.
  const stop = async () => {
    if (exited === undefined && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    await gone;
    rmSync(dir, { recursive: true, force: true });
    // weed also listens on unix sockets named after its ports, in /tmp.
    const ports = new Set([master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc].map(String));
    for (const name of readdirSync('/tmp')) {
      const port = /^seaweedfs-.*-(\d+)\.sock$/.exec(name)?.[1];
      if (port && ports.has(port)) rmSync(path.join('/tmp', name), { force: true });
    }
  };

  const env = {
    MERIDIAN_TEST_S3_ENDPOINT: `http://${HOST}:${s3}`,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_REGION: 'us-east-1',
  };
  try {
    await waitUntilReady(env.MERIDIAN_TEST_S3_ENDPOINT, secret, () => exited);
  } catch (err) {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`SeaweedFS did not start: ${(err as Error).message}\n--- weed log (tail) ---\n${tail}`);
  }
  return { name: 'seaweedfs-s3', env, stop };
};

/** Polls ListBuckets with the test identity until it succeeds. */
async function waitUntilReady(endpoint: string, secret: string, exited: () => string | undefined): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: secret } });
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last: unknown;
  try {
    while (Date.now() < deadline) {
      const reason = exited();
      if (reason) throw new Error(`weed ${reason}`);
      try {
        await client.send(new ListBucketsCommand({}));
        return;
      } catch (err) {
        last = err;
      }
      await sleep(250);
    }
    throw new Error(`the S3 endpoint ${endpoint} did not answer within ${START_TIMEOUT_MS / 1000} s (last error: ${String(last)})`);
  } finally {
    client.destroy();
  }
}

