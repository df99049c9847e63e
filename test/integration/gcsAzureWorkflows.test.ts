// Repositories on Google Cloud Storage (fake-gcs-server) and Azure Blob (Azurite), addressed by
// gs:// and azure:// URLs: backup → byte-identical restore → deep verify through the Temporal
// workflows with a real worker, and through the `meridian` CLI with a `meridian worker` child
// process, where `init` creates the missing bucket or container.

import { ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { BackupOutput, RestoreOutput, VerifyOutput } from '../../workflows/shared';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { testAddress, testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'integration passphrase';
const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'meridian.js');
const execFileAsync = promisify(execFile);

function serverEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest, whose global setup starts the servers`);
  return value;
}

/** A bucket or container name no other test (or earlier run) uses. */
const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

const backends = [
  { name: 'gcs', url: (bucket: string, prefix: string) => `gs://${bucket}/${prefix}?endpoint=${encodeURIComponent(serverEnv('MERIDIAN_TEST_GCS_ENDPOINT'))}` },
  {
    name: 'azure',
    url: (container: string, prefix: string) => `azure://devstoreaccount1/${container}/${prefix}?endpoint=${encodeURIComponent(serverEnv('MERIDIAN_TEST_AZURE_ENDPOINT'))}`,
  },
];

/** A tree with nested small files and files that span several packs (> 16 MiB). */
function sourceTree(): string {
  const source = tempDir('cloud-src');
  writeTree(source, { smallFiles: 300, largeFiles: [20 * 1024 * 1024, 3 * 1024 * 1024] });
  return source;
}

describe('through the Temporal workflows', () => {
  let t: TestConnection;
  let worker: RunningWorker;
  let source: string;

  beforeAll(async () => {
    t = await testConnection();
    worker = await startWorker(t, PASS);
    source = sourceTree();
  });

  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  test.each(backends)('$name: a full backup restores byte-identical and deep-verifies clean', async ({ url }) => {
    const repo = url(uniqueName('wf'), 'meridian/repo');
    await Repository.init(await openStorage(repo), PASS, {});

    const backup: BackupOutput = await (await startOperation(t.client, 'backup', { repo, path: source, type: 'full' }, worker.taskQueue)).result();
    expect(backup).toMatchObject({ type: 'full', parent: null, filesNew: 304 });

    const target = tempDir('cloud-dst');
    const restored: RestoreOutput = await (await startOperation(t.client, 'restore', { repo, snapshot: backup.snapshotId, target }, worker.taskQueue)).result();
    expect(restored).toMatchObject({ snapshotId: backup.snapshotId, files: 304 });
    expectSameTree(source, target);

    const verified: VerifyOutput = await (await startOperation(t.client, 'verify', { repo, level: 'deep' }, worker.taskQueue)).result();
    expect(verified).toMatchObject({ ok: true, problems: [] });
    expect(verified.checked.packs).toBeGreaterThan(1);
    expect(verified.checked.bytes).toBeGreaterThan(23 * 1024 * 1024);
  });
});

describe('through the meridian CLI and a meridian worker', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let worker: ChildProcessWithoutNullStreams;
  let workerLog = '';

  /** Runs `meridian args` in the work folder; a non-zero exit is returned, not thrown. */
  async function meridian(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [bin, ...args], { cwd: work, env, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code?: unknown; stdout: string; stderr: string };
      if (typeof failed.code !== 'number') throw err;
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  async function json<T>(...args: string[]): Promise<T> {
    const run = await meridian(...args);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as T;
  }

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/cli/main.js is missing: run `npx tsc -p tsconfig.json` first');
    work = tempDir('cloud-cli');
    writeTree(path.join(work, 'source'), { smallFiles: 40, largeFiles: [18 * 1024 * 1024] });
    const { MERIDIAN_PASSWORD_FILE: _file, MERIDIAN_NEW_PASSWORD: _new, ...inherited } = process.env;
    env = {
      ...inherited,
      TEMPORAL_ADDRESS: testAddress(),
      MERIDIAN_TASK_QUEUE: uniqueTaskQueue('cloud-cli'),
      MERIDIAN_HOME: path.join(work, 'home'),
      MERIDIAN_PASSWORD: PASS,
    };
    worker = spawn(process.execPath, [bin, 'worker'], { cwd: root, env, stdio: 'pipe' });
    await new Promise<void>((resolve, reject) => {
      worker.stderr.on('data', (data: Buffer) => {
        workerLog += data.toString();
        if (workerLog.includes('worker ready')) resolve();
      });
      worker.once('exit', (code) => reject(new Error(`meridian worker exited with ${code}: ${workerLog}`)));
    });
  });

  afterAll(async () => {
    if (worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  test.each(backends)('$name: init creates the missing location; backup, restore latest and deep verify', async ({ name, url }) => {
    const location = uniqueName('cli');
    const repo = url(location, 'repo');
    const init = await meridian('init', '--repo', repo);
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect(init.stdout).toContain(`created an encrypted repository`);
    expect(init.stdout).toContain(`${repo.split('?')[0]} (`);

    const backup = await json<{ snapshotId: string; type: string; filesNew: number }>('backup', 'source', '--repo', repo, '--json');
    expect(backup).toMatchObject({ type: 'full', filesNew: 43 });

    const restored = await json<{ snapshotId: string; files: number }>('restore', 'latest', '--repo', repo, '--target', `restored-${name}`, '--json');
    expect(restored).toMatchObject({ snapshotId: backup.snapshotId, files: 43 });
    expectSameTree(path.join(work, 'source'), path.join(work, `restored-${name}`));

    const verified = await json<{ ok: boolean; problems: unknown[] }>('verify', '--repo', repo, '--level', 'deep', '--json');
    expect(verified).toMatchObject({ ok: true, problems: [] });
  });
});
