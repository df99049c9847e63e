// The worker is the authority, end to end: a real `meridian worker` (dist/, running as root as
// here and in CI) with its repositories and roots configured, and workflows started by the
// unprivileged user `nobody` with the official `temporal` CLI, as any local user can on the dev
// server (it has no authentication). A restore into a root-only folder, also through a symlink,
// a backup of a path outside the source roots and an unknown repository are refused, without
// retries, and leave everything as it was; what the configuration allows still works, by name.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describeFailure } from '../../api/operations';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { temporalBinary } from '../../worker/temporalBinary';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { testAddress, testConnection, TestConnection } from '../helpers/temporal';
import { tempDir } from '../helpers/trees';
import { withWorkerConfig } from '../helpers/workerConfig';

const PASS = 'authority passphrase';
const asRoot = process.getuid?.() === 0;

let work: string;
let data: string;
let repo: string;
let victim: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;
let t: TestConnection;
let started = 0;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

/** Starts a workflow on the worker's task queue as `nobody` with the `temporal` CLI; returns its id. */
function startAsNobody(type: string, input: object): string {
  started += 1;
  const workflowId = `nobody-${type}-${process.pid}-${started}`;
  const args = ['workflow', 'start', '--address', testAddress(), '--task-queue', env.MERIDIAN_TASK_QUEUE!, '--type', type, '--workflow-id', workflowId, '--input', JSON.stringify(input)];
  const run = spawnSync('runuser', ['-u', 'nobody', '--', temporalBinary(), ...args], { cwd: '/', env: { PATH: process.env.PATH, HOME: '/nonexistent' }, encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  return workflowId;
}

/** The failure of a workflow: its type and message (it must fail). */
async function failureOf(workflowId: string): Promise<{ type?: string; message: string }> {
  const outcome = await t.client.workflow.getHandle(workflowId).result().then(
    () => undefined,
    (err: unknown) => describeFailure(err),
  );
  expect(outcome).toBeDefined();
  return outcome!;
}

/** The attempts of the workflow's activity: a refusal is never retried. */
async function activityAttempts(workflowId: string): Promise<number> {
  const { events } = await t.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).reduce((attempts, event) => event.activityTaskStartedEventAttributes?.attempt ?? attempts, 0);
}

const snapshotCount = async () => (await listSnapshots(await Repository.open(new LocalStorage(repo), PASS))).length;

(asRoot ? describe : describe.skip)('a root worker and an unprivileged user', () => {
  beforeAll(async () => {
    work = tempDir('authority');
    data = path.join(work, 'data');
    fs.mkdirSync(path.join(data, 'site'), { recursive: true });
    fs.writeFileSync(path.join(data, 'site', 'secret'), 'written by a restore of the snapshot\n');
    repo = path.join(work, 'repo');
    await Repository.init(new LocalStorage(repo), PASS, {});
    // The root-only file: a folder outside the roots, which nobody cannot even read.
    victim = tempDir('authority-victim');
    fs.writeFileSync(path.join(victim, 'secret'), 'root only\n', { mode: 0o600 });
    fs.symlinkSync(victim, path.join(data, 'into-victim'));
    env = withWorkerConfig(meridianEnv(work, 'authority', PASS), { repositories: [repo, { name: 'site', url: repo }], roots: [data] });
    worker = await startMeridianWorker(env);
    expect(worker.log()).toContain(`meridian: worker serving 2 repositories (${work}/home/repositories.json); backups from ${data}; restores into ${data}\n`);
    t = await testConnection();
    // The configured work, by name: the workflow id shows the name.
    const backup = parseJson<{ workflowId: string }>(await meridian('backup', path.join(data, 'site'), '--repo', 'site', '--json'));
    expect(backup.workflowId).toMatch(new RegExp(`^backup:site:${data}/site:`));
    // A command that opens the repository itself resolves the name through the same file.
    expect(parseJson<unknown[]>(await meridian('snapshots', '--repo', 'site', '--json'))).toHaveLength(1);
  });

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await t?.close();
  });

  const expectVictimUntouched = () => {
    const stat = fs.statSync(path.join(victim, 'secret'));
    expect({ text: fs.readFileSync(path.join(victim, 'secret'), 'utf8'), mode: stat.mode & 0o777, files: fs.readdirSync(victim) }).toEqual({
      text: 'root only\n',
      mode: 0o600,
      files: ['secret'],
    });
  };

  test('nobody cannot read the file, nor have the root worker restore over it', async () => {
    expect(spawnSync('runuser', ['-u', 'nobody', '--', 'cat', path.join(victim, 'secret')]).status).not.toBe(0);
    const id = startAsNobody('restoreWorkflow', { repo, snapshot: 'latest', target: victim });
    expect(await failureOf(id)).toEqual({
      type: 'refused',
      message: `[authority] refused restore target ${victim}: not under a configured root (MERIDIAN_RESTORE_ROOTS is ${data}; MERIDIAN_ALLOW_ANY_PATH=1 allows any path on a single-user machine)`,
    });
    expect(await activityAttempts(id)).toBe(1);
    expectVictimUntouched();
  });

  test('nor through a symlink inside the restore root, nor with ".." segments', async () => {
    const link = await failureOf(startAsNobody('restoreWorkflow', { repo, snapshot: 'latest', target: path.join(data, 'into-victim') }));
    expect(link).toMatchObject({ type: 'refused', message: expect.stringMatching(/^\[authority\] refused restore target .*into-victim: not under a configured root/) });
    const dots = await failureOf(startAsNobody('restoreWorkflow', { repo, snapshot: 'latest', target: `${data}/../../${path.basename(victim)}` }));
    expect(dots).toMatchObject({ type: 'refused', message: expect.stringContaining('without "." or ".." segments') });
    expectVictimUntouched();
  });

  test('a backup of a path outside the source roots is refused and stores nothing', async () => {
    const before = await snapshotCount();
    const refused = await failureOf(startAsNobody('backupWorkflow', { repo, path: victim }));
    expect(refused).toMatchObject({ type: 'refused', message: expect.stringMatching(/^\[authority\] refused backup source .*: not under a configured root \(MERIDIAN_SOURCE_ROOTS is /) });
    expect(await snapshotCount()).toBe(before);
  });

  test('an unknown repository is refused before anything is opened: no folder created, no request to its endpoint', async () => {
    const requests: string[] = [];
    const listener = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const elsewhere = path.join(data, 'attacker-repo');
      const s3 = `s3://b/p?endpoint=http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      for (const unknown of [elsewhere, s3, 'no-such-name']) {
        const refused = await failureOf(startAsNobody('backupWorkflow', { repo: unknown, path: path.join(data, 'site') }));
        expect(refused).toMatchObject({ type: 'refused', message: expect.stringMatching(/^\[authority\] refused repository .*: this worker is not configured for it \(add it to .*repositories\.json/) });
      }
      expect(fs.existsSync(elsewhere)).toBe(false);
      expect(requests).toEqual([]);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  test('what the configuration allows, nobody may ask for; the CLI reports a refusal with exit 5', async () => {
    const restored = await t.client.workflow.getHandle(startAsNobody('restoreWorkflow', { repo: 'site', snapshot: 'latest', target: path.join(data, 'restored') })).result();
    expect(restored).toMatchObject({ files: 1 });
    expect(fs.readFileSync(path.join(data, 'restored', 'secret'), 'utf8')).toBe('written by a restore of the snapshot\n');

    const run = await meridian('restore', 'latest', '--repo', 'site', '--target', victim);
    expect(run).toMatchObject({ code: 5, stdout: '' });
    expect(run.stderr).toMatch(/^meridian: \[authority\] refused restore target .*: not under a configured root .*\n$/);
    expectVictimUntouched();
  });
});
