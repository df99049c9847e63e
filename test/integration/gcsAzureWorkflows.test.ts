// Repositories on Google Cloud Storage (fake-gcs-server) and Azure Blob (Azurite), addressed by
// gs:// and azure:// URLs: backup → byte-identical restore → deep verify through the Temporal
// workflows with a real worker, and through the `meridian` CLI with a `meridian worker` child
// process, where `init` creates the missing bucket or container.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { roundTripThroughWorkflows, useTemporalWorker } from '../helpers/meridianWorker';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'integration passphrase';

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
  const setup = useTemporalWorker(PASS);
  let source: string;

  beforeAll(() => {
    source = sourceTree();
  });

  test.each(backends)('$name: a full backup restores byte-identical and deep-verifies clean', async ({ url }) => {
    const repo = url(uniqueName('wf'), 'meridian/repo');
    await Repository.init(await openStorage(repo), PASS, {});

    const { verified } = await roundTripThroughWorkflows(setup.t, setup.worker, repo, source, 304);
    expect(verified.checked.packs).toBeGreaterThan(1);
    expect(verified.checked.bytes).toBeGreaterThan(23 * 1024 * 1024);
  });
});

describe('through the meridian CLI and a meridian worker', () => {
  let work: string;
  let env: NodeJS.ProcessEnv;
  let worker: MeridianWorkerProcess;
  /** Backend name → the repository its test creates (the worker serves these). */
  const repositories = new Map<string, string>();

  /** Runs `meridian args` in the work folder; a non-zero exit is returned, not thrown. */
  const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 120_000 });
  const json = async <T>(...args: string[]): Promise<T> => parseJson<T>(await meridian(...args));

  beforeAll(async () => {
    work = tempDir('cloud-cli');
    writeTree(path.join(work, 'source'), { smallFiles: 40, largeFiles: [18 * 1024 * 1024] });
    for (const { name, url } of backends) repositories.set(name, url(uniqueName('cli'), 'repo'));
    env = meridianEnv(work, 'cloud-cli', PASS, [...repositories.values()]);
    worker = await startMeridianWorker(env);
  });

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  test.each(backends)('$name: init creates the missing location; backup, restore latest and deep verify', async ({ name }) => {
    const repo = repositories.get(name)!;
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
