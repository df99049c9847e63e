// A repository in S3 (the SeaweedFS server of the test setup) end to end: backup → restore →
// deep verify through the Temporal workflows with a real worker, and `meridian init` (which
// creates the missing bucket) / `backup --json` / `restore latest --json` with an s3:// URL,
// served by a `meridian worker` child process that takes its AWS credentials from the environment.

import { rmSync } from 'node:fs';
import path from 'node:path';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { Storage } from '../../storage/storage';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { roundTripThroughWorkflows, useTemporalWorker } from '../helpers/meridianWorker';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'integration passphrase';
const MiB = 1024 * 1024;

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
  const setup = useTemporalWorker(PASS);

  test('backup → restore is byte-identical, deep verify is clean, and packs keep the object count low', async () => {
    const repo = s3Url(`meridian-wf-${process.pid}`, 'backups/gis');
    await withS3(repo, (storage) => Repository.init(storage, PASS, {}));
    const source = tempDir('s3-src');
    writeTree(source, { smallFiles: 2_000, largeFiles: [40 * MiB, 3 * MiB] });

    const { verified, target } = await roundTripThroughWorkflows(setup.t, setup.worker, repo, source, 2_004);
    expect(verified.checked.bytes).toBeGreaterThan(40 * MiB);

    const packs = await withS3(repo, async (storage) => {
      const sizes: number[] = [];
      for await (const { size } of storage.list('data')) sizes.push(size);
      return sizes;
    });
    const stored = packs.reduce((a, b) => a + b, 0);
    expect(stored).toBeGreaterThan(40 * MiB);
    // Full packs, plus one partly filled pack of each kind (tree and data blobs are packed apart).
    expect(packs.length).toBeLessThanOrEqual(Math.floor(stored / (16 * MiB)) + 2);
    rmSync(source, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  });
});

describe('meridian init / backup / restore with an s3:// URL and a meridian worker', () => {
  const bucket = `meridian-cli-${process.pid}`;
  let repo: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let worker: MeridianWorkerProcess;

  const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 120_000 });

  beforeAll(async () => {
    repo = s3Url(bucket, 'nightly');
    work = tempDir('s3-cli');
    writeTree(path.join(work, 'source'), { smallFiles: 50, largeFiles: [20 * MiB] });
    // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION come from the test setup's environment.
    env = meridianEnv(work, 's3cli', PASS, [repo]);
    worker = await startMeridianWorker(env);
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
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
