// Runs are visible however they were started: a backup started with the official `temporal` CLI
// (no search attributes, no memo) is found by a visibility query on Meridian's search attributes,
// carries a memo and current details for Temporal UI, and reads as a backup through the API's
// describeOperation; a workflow that is no Meridian operation is not found; the running
// activity's heartbeat `phase` does not overwrite the workflow's; and runs started by the API and
// the CLI carry a summary; a source's latest backup is its path into its own repository, not a
// newer backup of the same path into another one.

import { execFileSync } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { describeOperation, startOperation } from '../../api/operations';
import { latestBackup } from '../../control/operations';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { createMeridianWorker } from '../../worker/createWorker';
import { temporalBinary } from '../../worker/temporalBinary';
import { useTemporalWorker, workflowBundle } from '../helpers/meridianWorker';
import { testAddress, uniqueTaskQueue } from '../helpers/temporal';
import { tempDir, writeTree } from '../helpers/trees';

const PASS = 'visibility-pass';
const setup = useTemporalWorker(PASS);

function temporalCli(...args: string[]): string {
  return execFileSync(temporalBinary(), [...args, '--address', testAddress()], { encoding: 'utf8' });
}

/** Polls `read` until it returns a value for which `done` holds (visibility and heartbeats lag a little). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function listIds(client: Client, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query })) ids.push(run.workflowId);
  return ids;
}

test('a backup started with the temporal CLI is found by its search attributes and described as a backup', async () => {
  const { t, worker } = setup;
  const repo = tempDir('visibility-repo');
  await Repository.init(new LocalStorage(repo), PASS, {});
  const source = tempDir('visibility-src');
  writeTree(source, { smallFiles: 3 });

  const workflowId = `started-by-temporal-cli-${Date.now()}`;
  temporalCli('workflow', 'start', '--type', 'backupWorkflow', '--task-queue', worker.taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify({ repo, path: source }));
  const handle = t.client.workflow.getHandle(workflowId);
  await handle.result();

  const query = `MeridianOperation = "backup" AND MeridianRepository = "${repo}" AND MeridianSource = "${source}"`;
  expect(await eventually(() => listIds(t.client, query), (ids) => ids.length > 0)).toEqual([workflowId]);

  const summary = `backup of ${source} into ${repo}`;
  expect((await handle.describe()).memo).toEqual({ operation: 'backup', repository: repo, subject: source, summary });
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toBe(`${summary}: completed`);

  expect(await describeOperation(t.client, workflowId)).toMatchObject({ workflowId, operation: 'backup', status: 'completed', result: { snapshotId: expect.stringMatching(/^[0-9a-f]{64}$/) } });
});

test("a source's latest backup is the newest of its path into its repository, not into another one", async () => {
  const { t, worker } = setup;
  const source = tempDir('visibility-latest-src');
  writeTree(source, { smallFiles: 2 });
  const [own, other] = [tempDir('visibility-own-repo'), tempDir('visibility-other-repo')];
  for (const repo of [own, other]) await Repository.init(new LocalStorage(repo), PASS, {});
  const ownRun = await startOperation(t.client, 'backup', { repo: own, path: source, type: 'full' }, worker.taskQueue);
  await ownRun.result();
  // Newer, same path, another repository: it must not stand for the source's last backup.
  const otherRun = await startOperation(t.client, 'backup', { repo: other, path: source, type: 'full' }, worker.taskQueue);
  await otherRun.result();
  await eventually(() => listIds(t.client, `WorkflowId = "${otherRun.workflowId}" AND ExecutionStatus = "Completed"`), (ids) => ids.length > 0);
  expect((await latestBackup(t.client, source, own))?.workflowId).toBe(ownRun.workflowId);
  expect((await latestBackup(t.client, source, other))?.workflowId).toBe(otherRun.workflowId);
});

test('a workflow that is no Meridian operation is not found by describeOperation', async () => {
  const { t } = setup;
  const workflowId = `someone-elses-${Date.now()}`;
  temporalCli('workflow', 'start', '--type', 'someoneElsesWorkflow', '--task-queue', uniqueTaskQueue('nobody'), '--workflow-id', workflowId);
  try {
    await expect(describeOperation(t.client, workflowId)).rejects.toThrow(WorkflowNotFoundError);
  } finally {
    await t.client.workflow.getHandle(workflowId).terminate('test over');
  }
});

test("the activity's heartbeat phase is reported as activityPhase, next to the workflow's phase", async () => {
  const { t } = setup;
  // A worker whose authority never answers (until released): the verify activity stays in its
  // first heartbeat, { phase: 'starting' }, while the workflow's own phase is 'running'.
  let release!: () => void;
  const gate = new Promise<never>((_, reject) => (release = () => reject(new Error('released by the test'))));
  const taskQueue = uniqueTaskQueue('phase');
  const worker = await createMeridianWorker({
    connection: t.connection,
    taskQueue,
    deps: { authority: { admit: () => gate } },
    overrides: { workflowBundle: await workflowBundle(), workflowsPath: undefined, shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  const handle = await startOperation(t.client, 'verify', { repo: '/srv/gated-repo' }, taskQueue);
  try {
    const view = await eventually(
      () => describeOperation(t.client, handle.workflowId),
      (v) => (v.progress as Record<string, unknown> | undefined)?.activityAttempt !== undefined,
    );
    expect(view).toMatchObject({ operation: 'verify', status: 'running', progress: { operation: 'verify', phase: 'running', activityPhase: 'starting', attempt: 1 } });
    // Started through startOperation (the API's and the CLI's way): with a summary Temporal UI shows.
    expect(await (await handle.describe()).staticSummary()).toBe('standard verify of /srv/gated-repo');
  } finally {
    await handle.terminate('test over');
    release();
    worker.shutdown();
    await running;
  }
});
