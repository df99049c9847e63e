// An immutable repository end to end on a real S3 server that enforces Object Lock (moto): `meridian
// init` makes the bucket with Object Lock and a default retention from meridian.yaml's
// `immutable:`; backups, forget and prune work on it; maintenance (through the worker) extends
// the retention of every current file and status then has nothing left to extend. Then an
// attacker holding the worker's credentials tries to delete every version of every file (each
// refused), hides every file behind a delete marker and overwrites half of them: the repository
// is gone for every reader; `meridian immutable rollback --to` the moment before brings it back,
// and the latest snapshot restores byte for byte and verifies. An immutable replica of a local
// primary (a vault copy) is made by init --replica-of, filled by a replication pass, and restores.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectKeys } from '../../storage/objectKeys';
import { openS3Versions, ObjectVersion } from '../../storage/s3Versions';
import { StorageError } from '../../storage/storage';
import type { StartedServer } from '../setup/servers';
import { startObjectLockS3Server } from '../setup/servers/objectLockS3';
import { testConnection } from '../helpers/temporal';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const PASS = 'immutable passphrase';
const DAY_MS = 24 * 60 * 60 * 1000;

let server: StartedServer & { endpoint: string };
let work: string;
let source: string;
let url: string;
let replicaUrl: string;
let bucket: string;
const set = `vault-${process.pid}-${Date.now().toString(36)}`;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 120_000 });
const snapshotIds = async () => parseJson<{ id: string }[]>(await meridian('snapshots', '--repo', 'vault', '--json')).map((s) => s.id).sort();

interface Status {
  policy: { days: number; mode: string };
  checked: number;
  extended: number;
  extendedUntil: string;
  purged: { files: number };
  retained: { files: number; deletableFrom?: string };
}

async function currentVersions(): Promise<ObjectVersion[]> {
  const store = openS3Versions(url);
  const out: ObjectVersion[] = [];
  try {
    for await (const version of store.versions()) out.push(version);
  } finally {
    await store.close();
  }
  return out;
}

beforeAll(async () => {
  server = await startObjectLockS3Server();
  work = tempDir('immutable');
  source = path.join(work, 'source');
  fs.mkdirSync(path.join(source, 'z12'), { recursive: true });
  for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(source, 'z12', `${i}.png`), pseudoRandomBytes(30_000 + i * 1000, i));
  bucket = `meridian-immutable-${randomBytes(3).toString('hex')}`;
  url = `s3://${bucket}/repo?endpoint=${server.endpoint}&pathStyle=true&region=us-east-1`;
  const config = path.join(work, 'meridian.yaml');
  replicaUrl = `s3://${bucket}-replica/repo?endpoint=${server.endpoint}&pathStyle=true&region=us-east-1`;
  fs.writeFileSync(
    config,
    [
      'repositories:',
      '  vault:',
      `    url: ${url}`,
      '    immutable: { days: 1, mode: compliance }',
      `  tiles: { url: ${path.join(work, 'tiles')} }`,
      `  tiles-vault: { url: "${replicaUrl}", immutable: { days: 2, mode: governance } }`,
      'replication:',
      `  ${set}: { primary: tiles, replicas: [tiles-vault] }`,
      '',
    ].join('\n'),
  );
  env = { ...meridianEnv(work, 'immutable', PASS), MERIDIAN_CONFIG: config, MERIDIAN_SOURCE_ROOTS: work, MERIDIAN_RESTORE_ROOTS: work };
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  const temporal = await testConnection();
  await temporal.client.workflow
    .getHandle(`replication:${set}`)
    .terminate('test over')
    .catch(() => undefined);
  await temporal.close();
  await worker?.stop('SIGTERM');
  await server?.stop();
});

test('init makes the bucket immutable; backups, forget and prune work on it; maintenance extends every current file once', async () => {
  const init = parseJson<{ immutable: Status['policy'] }>(await meridian('init', '--repo', 'vault', '--json'));
  expect(init.immutable).toEqual({ days: 1, mode: 'compliance' });
  parseJson(await meridian('backup', source, '--repo', 'vault', '--json', '-q'));
  fs.writeFileSync(path.join(source, 'z12', 'new.png'), pseudoRandomBytes(40_000, 99));
  parseJson(await meridian('backup', source, '--repo', 'vault', '--json', '-q'));
  expect(await snapshotIds()).toHaveLength(2);

  // Every file was locked by the bucket's default retention: a day, less than a day and a renewal interval ahead, so all are due.
  const due = parseJson<Status>(await meridian('immutable', 'status', '--repo', 'vault', '--json'));
  expect(due.policy).toEqual({ days: 1, mode: 'compliance' });
  expect(due.checked).toBeGreaterThanOrEqual(6); // config, key, data and tree packs, index files, two snapshots
  expect(due.extended).toBe(due.checked);

  const pass = parseJson<Status & { workflowId: string }>(await meridian('immutable', 'maintain', '--repo', 'vault', '--json'));
  expect(pass.workflowId).toMatch(/^immutable-maintenance:/);
  expect({ checked: pass.checked, extended: pass.extended }).toEqual({ checked: due.checked, extended: due.checked });
  const until = new Date(pass.extendedUntil).getTime();
  expect(until).toBeGreaterThan(Date.now() + 2.9 * DAY_MS);

  // What S3 itself says of a current file's lock.
  const snapshot = (await currentVersions()).find((v) => v.handle.type === 'snapshots' && v.latest)!;
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true });
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `repo/snapshots/${snapshot.handle.name}` }));
    expect({ mode: head.ObjectLockMode, until: head.ObjectLockRetainUntilDate?.getTime() }).toEqual({ mode: 'COMPLIANCE', until: expect.any(Number) });
    expect(Math.abs(head.ObjectLockRetainUntilDate!.getTime() - until)).toBeLessThan(1000);
  } finally {
    client.destroy();
  }
  expect(parseJson<Status>(await meridian('immutable', 'status', '--repo', 'vault', '--json')).extended).toBe(0);

  // Forget and prune: files go (behind delete markers); their versions stay locked, and status says until when.
  const forget = await meridian('forget', '--repo', 'vault', '--keep-last', '1', '--prune');
  expect({ code: forget.code, stderr: forget.stderr }).toEqual({ code: 0, stderr: '' });
  expect(await snapshotIds()).toHaveLength(1);
  const after = parseJson<Status>(await meridian('immutable', 'status', '--repo', 'vault', '--json'));
  expect(after.retained.files).toBeGreaterThanOrEqual(1); // at least the forgotten snapshot
  expect(after.purged.files).toBe(0);
  expect(new Date(after.retained.deletableFrom!).getTime()).toBeGreaterThan(Date.now());
});

test("an attacker with the worker's credentials deletes and overwrites every file; rollback to the moment before brings the repository back", async () => {
  const before = await snapshotIds();
  const restoredBefore = path.join(work, 'restored-before');
  parseJson(await meridian('restore', 'latest', '--repo', 'vault', '--target', restoredBefore, '--json'));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const moment = new Date();
  await new Promise((resolve) => setTimeout(resolve, 1100)); // S3 times are whole seconds: the attack comes in a later one

  // The attack, through the same S3 access the worker has.
  const store = openS3Versions(url);
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true });
  let refusedDeletes = 0;
  try {
    const versions = (await currentVersions()).filter((v) => !v.deleteMarker);
    for (const version of versions) {
      await expect(store.deleteVersion(version)).rejects.toThrow(StorageError);
      refusedDeletes++;
    }
    const current = versions.filter((v) => v.latest);
    expect(current.length).toBeGreaterThanOrEqual(6);
    const keys = new ObjectKeys('repo');
    for (const [i, version] of current.entries()) {
      if (i % 2 === 0) await store.hide(version.handle);
      else await client.send(new PutObjectCommand({ Bucket: bucket, Key: keys.key(version.handle), Body: randomBytes(512) }));
    }
  } finally {
    await store.close();
    client.destroy();
  }
  expect(refusedDeletes).toBeGreaterThan(0);
  const broken = await meridian('snapshots', '--repo', 'vault');
  expect(broken.code).not.toBe(0);

  const dryRun = parseJson<{ reinstated: number; hidden: number }>(await meridian('immutable', 'rollback', '--repo', 'vault', '--to', moment.toISOString(), '--dry-run', '--json'));
  expect(dryRun.reinstated).toBeGreaterThanOrEqual(6);
  expect((await meridian('snapshots', '--repo', 'vault')).code).not.toBe(0); // a dry run changes nothing
  const rollback = parseJson<{ reinstated: number; hidden: number }>(await meridian('immutable', 'rollback', '--repo', 'vault', '--to', moment.toISOString(), '--json'));
  expect(rollback).toEqual(expect.objectContaining({ reinstated: dryRun.reinstated, hidden: 0 }));

  expect(await snapshotIds()).toEqual(before);
  const restored = path.join(work, 'restored-after');
  parseJson(await meridian('restore', 'latest', '--repo', 'vault', '--target', restored, '--json'));
  for (const name of fs.readdirSync(path.join(restoredBefore, 'z12'))) {
    expect(fs.readFileSync(path.join(restored, 'z12', name)).equals(fs.readFileSync(path.join(source, 'z12', name)))).toBe(true);
  }
  expect(fs.readdirSync(path.join(restored, 'z12')).sort()).toEqual(fs.readdirSync(path.join(source, 'z12')).sort());
  expect((await meridian('verify', '--repo', 'vault')).code).toBe(0);
});

test('an immutable replica (a vault copy of a local primary): init --replica-of locks its bucket, a replication pass fills it, it restores', async () => {
  expect((await meridian('init', '--repo', 'tiles')).code).toBe(0);
  const replica = parseJson<{ created: boolean; immutable: Status['policy'] }>(await meridian('init', '--replica-of', 'tiles', '--repo', 'tiles-vault', '--json'));
  expect(replica).toEqual(expect.objectContaining({ created: true, immutable: { days: 2, mode: 'governance' } }));
  parseJson(await meridian('backup', source, '--repo', 'tiles', '--json', '-q'));
  parseJson(await meridian('replication', 'run', set, '--wait', '--json'));
  const status = parseJson<Status>(await meridian('immutable', 'status', '--repo', 'tiles-vault', '--json'));
  expect(status.policy).toEqual({ days: 2, mode: 'governance' });
  expect(status.checked).toBeGreaterThanOrEqual(5); // config, key, data and tree packs, index file, snapshot
  const target = path.join(work, 'restored-from-vault');
  parseJson(await meridian('restore', 'latest', '--repo', 'tiles-vault', '--target', target, '--json'));
  for (const name of fs.readdirSync(path.join(source, 'z12'))) {
    expect(fs.readFileSync(path.join(target, 'z12', name)).equals(fs.readFileSync(path.join(source, 'z12', name)))).toBe(true);
  }
});

test('bad input: a rollback older than the retention, an existing bucket without Object Lock, or an immutable repository that is not on S3, is refused in one line', async () => {
  const old = await meridian('immutable', 'rollback', '--repo', 'vault', '--to', new Date(Date.now() - 2 * DAY_MS).toISOString());
  expect(old.code).toBe(2);
  expect(old.stderr.trim().split('\n')).toHaveLength(1);
  expect(old.stderr).toMatch(/older than the 1 days every version is sure to be kept/);
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true });
  await client.send(new CreateBucketCommand({ Bucket: `${bucket}-plain` }));
  client.destroy();
  const plain = await meridian('init', '--repo', `s3://${bucket}-plain/repo?endpoint=${server.endpoint}&pathStyle=true&region=us-east-1`, '--immutable-days', '1');
  expect(plain.code).not.toBe(0);
  expect(plain.stderr.trim().split('\n')).toHaveLength(1);
  expect(plain.stderr).toMatch(/bucket ".*-plain" exists without Object Lock, which cannot be turned on afterwards/);
  const local = await runMeridian(['immutable', 'status', '--repo', path.join(work, 'local-repo')], { cwd: work, env, timeoutMs: 60_000 });
  expect(local.stderr).toMatch(/immutable repositories are supported on S3 \(Object Lock\) only; local is not/);
  expect(local.code).not.toBe(0);
});
