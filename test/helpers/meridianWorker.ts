// Runs a real Meridian worker (threads, local repositories, passphrase from the test) against
// the test Temporal server, with the workflow code bundled once per test file; the per-file
// connection + worker setup, and the backup → restore → deep verify round trip through it.

import os from 'node:os';
import { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { startOperation } from '../../api/operations';
import { ActivityDeps } from '../../activities/index';
import { createMeridianWorker } from '../../worker/createWorker';
import { Authority, configuredAuthority } from '../../worker/authority';
import { repositoryLocationKey } from '../../storage/open';
import { BackupOutput, RestoreOutput, VerifyOutput } from '../../workflows/shared';
import { testConnection, TestConnection, uniqueTaskQueue } from './temporal';
import { expectSameTree, tempDir } from './trees';
import { withoutSourcesContent } from '../../scripts/trimSourceMap';

// Keep test output readable: only the SDK's warnings and errors.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier test file in this process
}

let bundle: Promise<{ code: string }> | undefined;

/** The workflow code bundled as `npm run build` bundles it (its source map trimmed alike). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index'), logger: quietLogger }).then(({ code }) => ({ code: withoutSourcesContent(code) }));
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/**
 * The authority of these test workers, which exercise workflows rather than the worker's
 * configuration (test/integration/authority.test.ts does that): each serves the repository its
 * test names, with `passphrase`, and paths under the temporary folder where tests keep theirs.
 */
export function testAuthority(passphrase: string): Authority {
  return {
    admit: (request) =>
      configuredAuthority(
        {
          repositories: [{ url: request.repo, key: repositoryLocationKey(request.repo) }],
          sourceRoots: [os.tmpdir()],
          restoreRoots: [os.tmpdir()],
          origin: { kind: 'command' },
        },
        { passphrase },
      ).admit(request),
  };
}

export interface RunningWorker {
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

/** `deps` adds to (or replaces) the test authority's, e.g. lock timings. */
export async function startWorker(t: TestConnection, passphrase: string, taskQueue = uniqueTaskQueue('wf'), deps: Partial<ActivityDeps> = {}): Promise<RunningWorker> {
  const worker = await createMeridianWorker({
    connection: t.connection,
    namespace: t.namespace,
    taskQueue,
    deps: { authority: testAuthority(passphrase), ...deps },
    overrides: { workflowBundle: await workflowBundle(), workflowsPath: undefined, shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

export interface TemporalWorkerSetup {
  readonly t: TestConnection;
  readonly worker: RunningWorker;
}

/**
 * Connects to the test Temporal server and starts a worker with `passphrase` in beforeAll of the
 * enclosing block (or file), and stops both in afterAll; read them through the getters in tests.
 */
export function useTemporalWorker(passphrase: string): TemporalWorkerSetup {
  let t: TestConnection | undefined;
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    t = await testConnection();
    worker = await startWorker(t, passphrase);
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTemporalWorker: the connection and worker exist only once beforeAll has run');
    return value;
  };
  return {
    get t() {
      return ready(t);
    },
    get worker() {
      return ready(worker);
    },
  };
}

export interface RoundTrip {
  backupRun: WorkflowHandle;
  backup: BackupOutput;
  restored: RestoreOutput;
  verified: VerifyOutput;
  /** The folder the snapshot was restored into. */
  target: string;
}

/**
 * Through the workflows on `worker`: a full backup of `source` into `repo` (an initialised
 * repository) with `files` new files and no parent, a restore of that snapshot into a fresh
 * folder with the same files and the same tree, and a clean deep verify.
 */
export async function roundTripThroughWorkflows(t: TestConnection, worker: RunningWorker, repo: string, source: string, files: number): Promise<RoundTrip> {
  const backupRun = await startOperation(t.client, 'backup', { repo, path: source, type: 'full' }, worker.taskQueue);
  const backup: BackupOutput = await backupRun.result();
  expect(backup).toMatchObject({ type: 'full', parent: null, filesNew: files });

  const target = tempDir('roundtrip-dst');
  const restored: RestoreOutput = await (await startOperation(t.client, 'restore', { repo, snapshot: backup.snapshotId, target }, worker.taskQueue)).result();
  expect(restored).toMatchObject({ snapshotId: backup.snapshotId, files });
  expectSameTree(source, target);

  const verified: VerifyOutput = await (await startOperation(t.client, 'verify', { repo, level: 'deep' }, worker.taskQueue)).result();
  expect(verified).toMatchObject({ ok: true, problems: [] });
  return { backupRun, backup, restored, verified, target };
}
