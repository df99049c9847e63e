// A repository in S3 (the SeaweedFS server of the test setup) end to end: backup → restore →
// deep verify through the Temporal workflows with a real worker, and `meridian init` (which
// creates the missing bucket) / `backup --json` / `restore latest --json` with an s3:// URL,
// served by a `meridian worker` child process that takes its AWS credentials from the environment.

import { ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { Storage } from '../../storage/storage';
import { BackupOutput, RestoreOutput, VerifyOutput } from '../../workflows/shared';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { testAddress, testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'integration passphrase';
const MiB = 1024 * 1024;
const root = path.resolve(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

/** The repository URL form of DESIGN.md, with the test server as endpoint. */
function s3Url(bucket: string, prefix: string): string {
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts SeaweedFS.');
  return `s3://${bucket}/${prefix}?endpoint=${endpoint}&pathStyle=true&region=us-east-1`;
}

async function withS3<T>(url: string, use: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(url);
  try {
    return await use(storage);
  } finally {
    await storage.close();
  }
}

describe('the Temporal workflows with the repository in S3', () => {
  let t: TestConnection;
  let worker: RunningWorker;

  beforeAll(async () => {
    t = await testConnection();
    worker = await startWorker(t, PASS);
  });

  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  test('backup → restore is byte-identical, deep verify is clean, and packs keep the object count low', async () => {
    const repo = s3Url(`meridian-wf-${process.pid}`, 'backups/gis');
    await withS3(repo, (storage) => Repository.init(storage, PASS, {}));
    const source = tempDir('s3-src');
    writeTree(source, { smallFiles: 2_000, largeFiles: [40 * MiB, 3 * MiB] });

    const backup: BackupOutput = await (await startOperation(t.client, 'backup', { repo, path: source, type: 'full' }, worker.taskQueue)).result();
    expect(backup).toMatchObject({ type: 'full', parent: null, filesNew: 2_004 });

    const target = tempDir('s3-dst');
    const restored: RestoreOutput = await (await startOperation(t.client, 'restore', { repo, snapshot: backup.snapshotId, target }, worker.taskQueue)).result();
    expect(restored).toMatchObject({ snapshotId: backup.snapshotId, files: 2_004 });
    expectSameTree(source, target);

    const verified: VerifyOutput = await (await startOperation(t.client, 'verify', { repo, level: 'deep' }, worker.taskQueue)).result();
    expect(verified).toMatchObject({ ok: true, problems: [] });
    expect(verified.checked.bytes).toBeGreaterThan(40 * MiB);

    const packs = await withS3(repo, async (storage) => {
      const sizes: number[] = [];
      for await (const { size } of storage.list('data')) sizes.push(size);
      return sizes;
    });
    const stored = packs.reduce((a, b) => a + b, 0);
    expect(stored).toBeGreaterThan(40 * MiB);
    expect(packs.length).toBeLessThanOrEqual(Math.floor(stored / (16 * MiB)) + 1);
    rmSync(source, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  });
});

describe('meridian init / backup / restore with an s3:// URL and a meridian worker', () => {
  const bucket = `meridian-cli-${process.pid}`;
  let repo: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let worker: ChildProcessWithoutNullStreams;
  let workerLog = '';

  async function meridian(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [path.join(root, 'bin', 'meridian.js'), ...args], { cwd: work, env, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const failed = err as { code?: unknown; stdout: string; stderr: string };
      if (typeof failed.code !== 'number') throw err;
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  function json(run: { code: number; stdout: string; stderr: string }): Record<string, unknown> {
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    repo = s3Url(bucket, 'nightly');
    work = tempDir('s3-cli');
    writeTree(path.join(work, 'source'), { smallFiles: 50, largeFiles: [20 * MiB] });
    const { MERIDIAN_PASSWORD_FILE: _file, MERIDIAN_NEW_PASSWORD: _new, ...inherited } = process.env;
    // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION come from the test setup's environment.
    env = { ...inherited, TEMPORAL_ADDRESS: testAddress(), MERIDIAN_TASK_QUEUE: uniqueTaskQueue('s3cli'), MERIDIAN_HOME: path.join(work, 'home'), MERIDIAN_PASSWORD: PASS };
    worker = spawn(process.execPath, [path.join(root, 'bin', 'meridian.js'), 'worker'], { cwd: root, env, stdio: 'pipe' });
    await new Promise<void>((resolve, reject) => {
      worker.stderr.on('data', (data: Buffer) => {
        workerLog += data.toString();
        if (workerLog.includes('worker ready')) resolve();
      });
      worker.once('exit', (code) => reject(new Error(`meridian worker exited with ${code}: ${workerLog}`)));
    });
  });

  afterAll(() => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  test('init creates the missing bucket and the repository', async () => {
    const before = await withS3(repo, (storage) => storage.get({ type: 'config', name: 'config' }).then(() => undefined, (e: Error) => e.message));
    expect(before).toContain(`bucket "${bucket}" does not exist`);
    const run = await meridian('init', '--repo', repo);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^created an encrypted repository [0-9a-f]+ at s3://${bucket}/nightly `));
  });

  test('backup --json and restore latest --json round-trip the tree', async () => {
    const backup = json(await meridian('backup', 'source', '--repo', repo, '--json'));
    expect(backup).toMatchObject({ type: 'full', parent: null, filesNew: 53 });
    expect(backup.workflowId).toEqual(expect.stringMatching(new RegExp(`^backup:s3://${bucket}/nightly:`)));

    const restored = json(await meridian('restore', 'latest', '--repo', repo, '--target', 'restored', '--json'));
    expect(restored).toMatchObject({ snapshotId: backup.snapshotId, files: 53 });
    expectSameTree(path.join(work, 'source'), path.join(work, 'restored'));
  });
});
