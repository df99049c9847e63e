// `meridian key rotate` end to end on a real S3 server (SeaweedFS) with a `meridian worker`: the
// CLI starts the rotation (the other key files, among them a second passphrase's, are deleted at
// once) and the key-rotation workflow seals every file again and destroys the old key. Afterwards
// no object of the bucket opens under the old master key, the old passphrase's key file is gone,
// snapshots list and restore byte for byte, and deep verify is clean. Bad input gets a one-line
// refusal. The CLI names the replica set of meridian.yaml that holds the repository (its replicas
// hold the old key).

import fs from 'node:fs';
import path from 'node:path';
import { readStoredPackHeader } from '../../core/packFormat';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { FILE_TYPES, Storage } from '../../storage/storage';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { opensUnder } from '../helpers/sealedUnder';
import { expectSameTree, pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASS = 'rotation passphrase';

let work: string;
let repo: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 120_000 });

async function withStorage<T>(use: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(repo);
  try {
    return await use(storage);
  } finally {
    await storage.close();
  }
}

/** Every sealed object of the repository: pack headers, the config's sealed part and every other file but key files. */
async function sealedObjects(storage: Storage): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const type of FILE_TYPES) {
    for await (const entry of storage.list(type)) {
      if (type === 'keys') continue;
      if (type === 'data') out.push(await readStoredPackHeader(storage, entry.name, entry.size));
      else if (type === 'config') out.push(Buffer.from((JSON.parse(Buffer.from(await storage.get({ type, name: entry.name })).toString('utf8')) as { sealed: string }).sealed, 'base64'));
      else out.push(await storage.get({ type, name: entry.name }));
    }
  }
  return out;
}

beforeAll(async () => {
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts SeaweedFS.');
  repo = `s3://meridian-rotation-${process.pid}/repo?endpoint=${endpoint}&pathStyle=true&region=us-east-1`;
  work = tempDir('key-rotation');
  writeTree(path.join(work, 'source'), { smallFiles: 40, largeFiles: [3_000_000] });
  const config = path.join(work, 'meridian.yaml');
  fs.writeFileSync(config, ['repositories:', `  vault: { url: "${repo}" }`, `  vault-copy: { url: ${path.join(work, 'copy')} }`, 'replication:', '  vault-set: { primary: vault, replicas: [vault-copy] }', ''].join('\n'));
  env = { ...meridianEnv(work, 'rotation', PASS), MERIDIAN_CONFIG: config, MERIDIAN_SOURCE_ROOTS: work, MERIDIAN_RESTORE_ROOTS: work };
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  await worker?.stop('SIGTERM');
});

test('key rotate seals every object again through the workflow and destroys the old key; restores and deep verify work after', async () => {
  expect(await meridian('init', '--repo', 'vault')).toMatchObject({ code: 0 });
  expect(await meridian('backup', 'source', '--repo', 'vault')).toMatchObject({ code: 0 });
  fs.writeFileSync(path.join(work, 'source', 'added.bin'), pseudoRandomBytes(500_000, 3));
  expect(await meridian('backup', 'source', '--repo', 'vault')).toMatchObject({ code: 0 });
  fs.writeFileSync(path.join(work, 'second'), 'a second passphrase\n');
  expect(await meridian('key', 'add', '--repo', 'vault', '--new-password-file', 'second')).toMatchObject({ code: 0 });
  const oldKey = await withStorage(async (storage) => (await Repository.open(storage, PASS)).keys!.encryption);
  const before = parseJson<{ time: string; files: number; bytes: number }[]>(await meridian('snapshots', '--repo', 'vault', '--json'));

  const rotate = await meridian('key', 'rotate', '--repo', 'vault', '--bytes-per-second', '100000000', '--json');
  expect(rotate.code).toBe(0);
  const rotation = JSON.parse(rotate.stdout) as { workflowId: string; removedKeyFiles: string[]; keyFile: string; rounds: number; packs: { repacked: number }; files: { snapshots: number } };
  // The replica set that holds the repository is named: its replicas hold the old key.
  expect(rotate.stderr).toContain('repository "vault" is in replica set "vault-set": its replicas hold the old key');
  expect(rotation.workflowId).toMatch(/^key-rotation:/);
  expect(rotation).toMatchObject({ rounds: 1, files: { snapshots: 2 } });
  expect(rotation.packs.repacked).toBeGreaterThan(0);
  // The two key files of before (the first passphrase's and the second's), then the new one's predecessor that held the old key.
  expect(rotation.removedKeyFiles).toHaveLength(3);

  const keyList = await meridian('key', 'list', '--repo', 'vault');
  expect(keyList.stdout.trim().split('\n')).toHaveLength(2); // the header and one key
  expect(keyList.stdout).toContain(`*${rotation.keyFile.slice(0, 8)}`);
  const secondPassphrase = await meridian('snapshots', '--repo', 'vault', '--password-file', 'second');
  expect(secondPassphrase.code).not.toBe(0);
  expect(secondPassphrase.stderr).toMatch(/passphrase/);

  const sealed = await withStorage(sealedObjects);
  expect(sealed.length).toBeGreaterThan(5);
  expect(sealed.filter((object) => opensUnder(oldKey, object))).toHaveLength(0);

  const after = parseJson<{ time: string; files: number; bytes: number }[]>(await meridian('snapshots', '--repo', 'vault', '--json'));
  const content = (rows: { time: string; files: number; bytes: number }[]) => rows.map(({ time, files, bytes }) => ({ time, files, bytes }));
  expect(content(after)).toEqual(content(before));
  expect(await meridian('restore', 'latest', '--repo', 'vault', '--target', 'restored')).toMatchObject({ code: 0 });
  expectSameTree(path.join(work, 'source'), path.join(work, 'restored'));
  const verified = await meridian('verify', '--repo', 'vault', '--level', 'deep');
  expect(verified).toMatchObject({ code: 0 });
});

test('bad input gets a one-line refusal', async () => {
  for (const [args, message] of [
    [['key', 'rotate', 'abc', '--repo', 'vault'], /key rotate takes no ID/],
    [['key', 'rotate', '--repo', 'vault', '--bytes-per-second', '0'], /--bytes-per-second must be an integer of at least 1/],
  ] as const) {
    const run = await meridian(...args);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  }
});
