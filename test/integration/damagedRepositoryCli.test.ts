// The `meridian` command on damaged repositories, as a client of the test Temporal server with a
// `meridian worker` child process: truncated index files are repaired by `repair index`, a lost
// pack by `repair index` then `repair snapshots`; a zero-byte pack is damage (exit 1, restore
// salvages), and a repository file the storage refuses for good is exit 3, not 4.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, projectRoot, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { repositoryFiles } from '../helpers/smallRepository';
import { describeTree, expectSameTree, pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASS = 'damaged repository passphrase';
let work: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

/** A repository of two snapshots of `source` (1 MiB packs, small chunks), with its files listed. */
async function newRepository(name: string): Promise<string> {
  const repo = path.join(work, name);
  expect((await meridian('init', '--repo', repo, '--pack-size', '1', '--chunk-min', '16384', '--chunk-avg', '65536', '--chunk-max', '262144')).code).toBe(0);
  expect((await meridian('backup', 'source', '--repo', repo, '--type', 'full')).code).toBe(0);
  return repo;
}

beforeAll(async () => {
  work = tempDir('damage-cli');
  writeTree(path.join(work, 'source'), { smallFiles: 20, largeFiles: [1_500_000, 600_000] });
  fs.writeFileSync(path.join(work, 'source', 'more.bin'), pseudoRandomBytes(800_000, 5));
  const names = ['truncated-index', 'lost-pack', 'zero-byte-pack', 'refused-config'];
  env = meridianEnv(work, 'damage-cli', PASS, names.map((name) => path.join(work, name)));
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
});

test('truncated index files: restore exits 1 listing what it cannot restore; after `repair index` it restores everything', async () => {
  const repo = await newRepository('truncated-index');
  const indexFiles = repositoryFiles(repo, 'index');
  for (const file of indexFiles) fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));

  const before = await meridian('restore', 'latest', '--repo', repo, '--target', 'before-repair');
  expect(before.code).toBe(1);
  expect(before.stdout).toMatch(/^damaged: .*blob [0-9a-f]{12} is not in the index \(\d+ index files are damaged: try `meridian repair index`\)$/m);

  const repair = json<Record<string, number>>(await meridian('repair', 'index', '--repo', repo, '--json'));
  expect(repair).toMatchObject({ packsRead: repositoryFiles(repo, 'data').length, packsUnreadable: 0, unreadable: [], indexFilesRemoved: indexFiles.length });

  const after = await meridian('restore', 'latest', '--repo', repo, '--target', 'after-repair');
  expect(after.code).toBe(0);
  expectSameTree(path.join(work, 'source'), path.join(work, 'after-repair'));
  expect((await meridian('verify', '--repo', repo, '--level', 'deep')).code).toBe(0);
});

test('a lost pack: `repair index` then `repair snapshots` leave a repository that verifies clean, with the snapshot tagged "repaired"', async () => {
  const repo = await newRepository('lost-pack');
  const largest = repositoryFiles(repo, 'data').sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
  fs.rmSync(largest);
  expect((await meridian('verify', '--repo', repo, '--level', 'quick')).code).toBe(1);

  const index = await meridian('repair', 'index', '--repo', repo);
  expect(index.code).toBe(0);
  expect(index.stdout).toMatch(/^rebuilt the index: \d+ packs? read, \d+ blobs? indexed, 0 packs unreadable; \d+ index files? written, \d+ removed in /);
  const snapshots = await meridian('repair', 'snapshots', '--repo', repo);
  expect(snapshots.code).toBe(0);
  expect(snapshots.stdout).toMatch(/^repaired: snapshot [0-9a-f]{8} → [0-9a-f]{8}\nchecked 1 snapshot: 1 repaired \(\d+ files? lost chunks, 0 directories emptied\) in /);

  expect((await meridian('verify', '--repo', repo, '--level', 'deep')).code).toBe(0);
  const [listed] = json<{ tags: string[] }[]>(await meridian('snapshots', '--repo', repo, '--json'));
  expect(listed!.tags).toContain('repaired');
});

test('a zero-byte pack is damage, not an outage: verify exits 1 naming it, restore exits 1 and restores every other file', async () => {
  const repo = await newRepository('zero-byte-pack');
  const victim = repositoryFiles(repo, 'data').sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
  fs.truncateSync(victim, 0);

  const verify = await meridian('verify', '--repo', repo, '--level', 'standard', '--json');
  expect(verify.code).toBe(1);
  expect(JSON.parse(verify.stdout).problems).toContainEqual(expect.objectContaining({ kind: 'truncated-pack', pack: path.basename(victim) }));

  const restore = await meridian('restore', 'latest', '--repo', repo, '--target', 'zero-byte-restored', '--json');
  expect(restore.code).toBe(1);
  const result = JSON.parse(restore.stdout) as { filesDamaged: number; damaged: { path: string }[] };
  expect(result.filesDamaged).toBeGreaterThan(0);
  const expected = describeTree(path.join(work, 'source'));
  for (const { path: rel } of result.damaged) expected.delete(rel);
  expectSameTree(expected, path.join(work, 'zero-byte-restored'));
});

test('a repository file the storage refuses for good (EISDIR; EACCES for an unprivileged user) exits 3, not 4', async () => {
  const repo = await newRepository('refused-config');
  const config = path.join(repo, 'config');
  const saved = fs.readFileSync(config);
  fs.rmSync(config);
  fs.mkdirSync(config);
  const isDir = await meridian('verify', '--repo', repo);
  expect(isDir).toMatchObject({ code: 3, stderr: expect.stringMatching(/^meridian: \[storage:local\] get config in .*: EISDIR\n$/) });
  fs.rmdirSync(config);
  fs.writeFileSync(config, saved, { mode: 0o000 });
  fs.chmodSync(config, 0);

  // Root reads any file: the unprivileged case runs the command as "nobody" (uid 65534) then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) for (let dir = repo; dir !== path.dirname(work); dir = path.dirname(dir)) fs.chmodSync(dir, 0o755);
  const run = await promisify(execFile)(process.execPath, [path.join(projectRoot, 'bin', 'meridian.js'), 'snapshots', '--repo', repo], {
    env: { ...env, MERIDIAN_HOME: '/nonexistent' },
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
  expect(run).toEqual({ code: 3, stderr: expect.stringMatching(/^meridian: \[storage:local\] get config in .*: EACCES\n$/) });
});
