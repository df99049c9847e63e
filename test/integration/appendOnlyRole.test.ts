// Append-only writers end to end, on a local repository and one on the real S3 server: a backup
// host whose meridian.yaml gives it `role: append-only` initialises and backs up through its
// `meridian worker`, is refused forget, prune and key removal (exit 5, one line) while their dry
// runs still answer, and, compromised, cannot delete or overwrite a single file of either
// repository with its own access; a maintenance host (the same file without the role) then
// restores the latest snapshot byte for byte, and forgets and prunes.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openStorage } from '../../storage/open';
import { FILE_TYPES, Storage, StorageError } from '../../storage/storage';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const PASS = 'append-only passphrase';
const REPOSITORIES = ['tiles-local', 'tiles-s3'] as const;

let work: string;
let source: string;
const urls: Record<string, string> = {};
const hosts: Record<'backup' | 'maintenance', { env: NodeJS.ProcessEnv; worker?: MeridianWorkerProcess }> = {} as never;

const meridian = (host: 'backup' | 'maintenance', ...args: string[]) => runMeridian(args, { cwd: work, env: hosts[host].env, timeoutMs: 120_000 });
const snapshotIds = async (host: 'backup' | 'maintenance', repo: string) => parseJson<{ id: string }[]>(await meridian(host, 'snapshots', '--repo', repo, '--json')).map((s) => s.id);

/** A host's environment: its own MERIDIAN_HOME, task queue and meridian.yaml, the repositories with `role` when given. */
function hostEnv(name: string, role?: string): NodeJS.ProcessEnv {
  const dir = path.join(work, name);
  const config = path.join(dir, 'meridian.yaml');
  const lines = ['repositories:'];
  for (const repo of REPOSITORIES) lines.push(`  ${repo}:`, `    url: ${urls[repo]}`, ...(role ? [`    role: ${role}`] : []));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(config, `${lines.join('\n')}\n`);
  return { ...meridianEnv(dir, `append-only-${name}`, PASS), MERIDIAN_CONFIG: config, MERIDIAN_SOURCE_ROOTS: work, MERIDIAN_RESTORE_ROOTS: work };
}

/** One refused run: exit 5 and one line on stderr that matches `pattern`. */
function expectRefused(run: { code: number; stderr: string }, pattern: RegExp): void {
  expect(run.code).toBe(5);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

beforeAll(async () => {
  work = tempDir('append-only');
  source = path.join(work, 'source');
  fs.mkdirSync(path.join(source, 'z12'), { recursive: true });
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(source, 'z12', `${i}.png`), pseudoRandomBytes(20_000 + i * 1000, i));
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts SeaweedFS.');
  urls['tiles-local'] = path.join(work, 'repo');
  urls['tiles-s3'] = `s3://meridian-append-${process.pid}-${randomBytes(3).toString('hex')}/repo?endpoint=${endpoint}&pathStyle=true&region=us-east-1`;
  hosts.backup = { env: hostEnv('backup-host', 'append-only') };
  hosts.maintenance = { env: hostEnv('maintenance-host') };
  hosts.backup.worker = await startMeridianWorker(hosts.backup.env);
  hosts.maintenance.worker = await startMeridianWorker(hosts.maintenance.env);
  expect(hosts.backup.worker.log()).toContain('append-only for tiles-local, tiles-s3;');
});

afterAll(async () => {
  await Promise.all([hosts.backup?.worker?.stop('SIGTERM'), hosts.maintenance?.worker?.stop('SIGTERM')]);
});

test.each(REPOSITORIES)('%s: the append-only host initialises and backs up twice; forget, prune and key removal are refused, their dry runs answer', async (repo) => {
  expect((await meridian('backup', 'init', '--repo', repo)).code).toBe(0);
  parseJson(await meridian('backup', 'backup', source, '--repo', repo, '--json', '-q'));
  fs.writeFileSync(path.join(source, 'z12', `new-${repo}.png`), pseudoRandomBytes(30_000, 99));
  parseJson(await meridian('backup', 'backup', source, '--repo', repo, '--json', '-q'));
  const before = await snapshotIds('backup', repo);
  expect(before).toHaveLength(2);

  expectRefused(await meridian('backup', 'forget', '--repo', repo, '--keep-last', '1'), new RegExp(`refused forget on repository name "${repo}": this worker's role for it is append-only .*; run forget on a worker with the maintenance role`));
  expectRefused(await meridian('backup', 'prune', '--repo', repo), new RegExp(`refused prune on repository name "${repo}": this worker's role for it is append-only`));
  expect(parseJson<{ removed: number }>(await meridian('backup', 'forget', '--repo', repo, '--keep-last', '1', '--dry-run', '--json')).removed).toBe(1);
  expect((await meridian('backup', 'prune', '--repo', repo, '--dry-run')).code).toBe(0);

  const added = await runMeridian(['key', 'add', '--repo', repo], { cwd: work, env: { ...hosts.backup.env, MERIDIAN_NEW_PASSWORD: 'a second passphrase' }, timeoutMs: 60_000 });
  const keyId = /^added key ([0-9a-f]+)$/m.exec(added.stdout)?.[1];
  expect({ code: added.code, keyId }).toEqual({ code: 0, keyId: expect.any(String) });
  expectRefused(await meridian('backup', 'key', 'remove', keyId!, '--repo', repo), /refused to delete keys\/[0-9a-f]+ in .*append-only/);
  expect((await snapshotIds('backup', repo)).sort()).toEqual([...before].sort());
});

test.each(REPOSITORIES)('%s: with the backup host\'s own access, no file of any type can be deleted or overwritten; the maintenance host restores it all', async (repo) => {
  const stolen: Storage = await openStorage(urls[repo]!, { appendOnly: true });
  let attempts = 0;
  try {
    for (const type of FILE_TYPES.filter((t) => t !== 'locks' && t !== 'health')) {
      for await (const file of stolen.list(type)) {
        for (const attack of [() => stolen.delete({ type, name: file.name }), () => stolen.put({ type, name: file.name }, randomBytes(64))]) {
          attempts += 1;
          await expect(attack()).rejects.toEqual(expect.objectContaining({ kind: 'refused' }) as StorageError);
        }
      }
    }
  } finally {
    await stolen.close();
  }
  expect(attempts).toBeGreaterThanOrEqual(2 * 7); // config, two keys, packs, an index file and two snapshots, each deleted and overwritten

  const target = path.join(work, `restored-${repo}`);
  parseJson(await meridian('maintenance', 'restore', 'latest', '--repo', repo, '--target', target, '--json'));
  for (const name of fs.readdirSync(path.join(source, 'z12')).filter((n) => !n.startsWith('new-') || n === `new-${repo}.png`)) {
    expect(fs.readFileSync(path.join(target, 'z12', name)).equals(fs.readFileSync(path.join(source, 'z12', name)))).toBe(true);
  }
  expect((await meridian('maintenance', 'verify', '--repo', repo)).code).toBe(0);
});

test.each(REPOSITORIES)('%s: the maintenance host forgets and prunes', async (repo) => {
  const forget = await meridian('maintenance', 'forget', '--repo', repo, '--keep-last', '1', '--prune');
  expect({ code: forget.code, stderr: forget.stderr }).toEqual({ code: 0, stderr: '' });
  expect(await snapshotIds('maintenance', repo)).toHaveLength(1);
});
