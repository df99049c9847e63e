// A backup fleet under one Temporal cluster: two `meridian worker` processes play two data hosts,
// each on its own task queue with its own MERIDIAN_HOME and source roots, and a third polls the
// control queue the workflows are started on. Each host backs up its own directory through
// `dataTaskQueue`; a host asked for the other's directory refuses it for good; a host whose worker
// is down only holds up its own operations, which finish once its worker is back. The HTTP API
// sends a backup of a source of its meridian.yaml to the source's host, and any operation to the
// host its request names.

import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createApiApp } from '../../api/app';
import { startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import type { BackupInput, BackupOutput } from '../../workflows/shared';
import { activityAttempts } from '../helpers/activityAttempts';
import { testAuthority } from '../helpers/meridianWorker';
import { meridianEnv, MeridianWorkerProcess, startMeridianWorker } from '../helpers/meridianCli';
import { readUntil } from '../helpers/polling';
import { useTestConnection } from '../helpers/temporal';
import { describeTree, expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'fleet passphrase';

/** One data host: its directory, and the environment (task queue, home, roots) its worker runs with. */
interface Host {
  name: string;
  source: string;
  env: NodeJS.ProcessEnv;
  queue: string;
  worker?: MeridianWorkerProcess;
}

const scope = useTestConnection();
let repo: string;
let control: MeridianWorkerProcess;
let controlQueue: string;
const hosts: Record<'a' | 'b', Host> = {} as Record<'a' | 'b', Host>;

/**
 * A host whose worker serves the shared repository and backs up only what lies under its own
 * folder, sized as the README advises for one large backup at a time on a small host.
 */
function host(work: string, name: string, seed: number): Host {
  const folder = path.join(work, name);
  const source = path.join(folder, 'data');
  writeTree(source, { smallFiles: 12, seed });
  const env: NodeJS.ProcessEnv = { ...meridianEnv(folder, name, PASS, [repo]), MERIDIAN_WORKER_ACTIVITIES: '1', MERIDIAN_ENCODER_THREADS: '1' };
  return { name, source, env, queue: env.MERIDIAN_TASK_QUEUE! };
}

beforeAll(async () => {
  const work = tempDir('fleet');
  repo = path.join(work, 'repo');
  await Repository.init(new LocalStorage(repo), PASS);
  hosts.a = host(work, 'host-a', 1);
  hosts.b = host(work, 'host-b', 2);
  // The control worker runs the workflows; it serves no repository and no path of its own.
  const controlEnv = meridianEnv(path.join(work, 'control'), 'fleet-control', PASS);
  controlQueue = controlEnv.MERIDIAN_TASK_QUEUE!;
  [control, hosts.a.worker, hosts.b.worker] = await Promise.all([startMeridianWorker(controlEnv), startMeridianWorker(hosts.a.env), startMeridianWorker(hosts.b.env)]);
  expect(control.log()).toContain('serving no repository');
});

afterAll(async () => {
  await Promise.all([control, hosts.a?.worker, hosts.b?.worker].map((w) => w?.stop('SIGKILL')));
});

/** A backup of `source` started on the control queue, its data-plane activity routed to `on`'s queue. */
function backup(on: Host, source: string): Promise<WorkflowHandle> {
  const input: BackupInput = { repo, path: source, host: on.name, type: 'incremental', dataTaskQueue: on.queue };
  return startOperation(scope.t.client, 'backup', input, controlQueue).then((run) => {
    scope.started.push(run.workflowId);
    return run;
  });
}

/** The task queues the run's activities were scheduled on, in order. */
async function activityQueues(run: WorkflowHandle): Promise<(string | null | undefined)[]> {
  return ((await run.fetchHistory()).events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.taskQueue?.name] : []));
}

/** Whether the run's one pending activity, once scheduled, still waits for a worker to take it. */
async function activityWaitsForWorker(run: WorkflowHandle): Promise<boolean> {
  const described = await readUntil(`the pending activity of ${run.workflowId}`, () => run.describe(), (d) => (d.raw.pendingActivities?.length ?? 0) > 0);
  return described.raw.pendingActivities![0]!.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;
}

const regularFiles = (root: string) => [...describeTree(root).values()].filter((entry) => entry.type === 'file').length;

async function snapshotsOf(name: string): Promise<{ host: string; source: string }[]> {
  const opened = await Repository.open(new LocalStorage(repo), PASS);
  return (await listSnapshots(opened)).filter((s) => s.host === name).map(({ host: h, source }) => ({ host: h, source }));
}

test('each host backs up its own directory through its data task queue', async () => {
  const [a, b] = await Promise.all([backup(hosts.a, hosts.a.source), backup(hosts.b, hosts.b.source)]);
  const [fromA, fromB]: BackupOutput[] = await Promise.all([a.result(), b.result()]);
  expect(fromA).toMatchObject({ host: 'host-a', source: hosts.a.source, filesNew: regularFiles(hosts.a.source) });
  expect(fromB).toMatchObject({ host: 'host-b', source: hosts.b.source, filesNew: regularFiles(hosts.b.source) });
  // Each activity ran on its host's queue (the control worker serves no repository: it would have refused).
  for (const [run, on] of [[a, hosts.a], [b, hosts.b]] as const) expect(await activityQueues(run)).toEqual([on.queue]);
  expect(await snapshotsOf('host-a')).toEqual([{ host: 'host-a', source: hosts.a.source }]);
  expect(await snapshotsOf('host-b')).toEqual([{ host: 'host-b', source: hosts.b.source }]);
});

test("a host refuses the other host's directory, without retrying", async () => {
  const run = await backup(hosts.a, hosts.b.source);
  const failed = await run.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failed).toBeInstanceOf(WorkflowFailedError);
  const activity = (failed as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const refusal = (activity as ActivityFailure).cause;
  expect(refusal).toBeInstanceOf(ApplicationFailure);
  expect(refusal).toMatchObject({
    type: 'refused',
    nonRetryable: true,
    message: `[authority] refused backup source ${hosts.b.source}: not under a configured root (MERIDIAN_SOURCE_ROOTS is ${path.dirname(hosts.a.source)}; MERIDIAN_ALLOW_ANY_PATH=1 allows any path on a single-user machine)`,
  });
  expect(activityAttempts(await run.fetchHistory(), 'backupSnapshot')).toEqual([1]);
  expect(await snapshotsOf('host-a')).toHaveLength(1);
});

test("a host whose worker is down holds up only its own backups, which finish when it is back", async () => {
  const b = hosts.b;
  await b.worker!.stop('SIGTERM');
  fs.writeFileSync(path.join(b.source, 'written-while-down.txt'), 'new on host-b');
  fs.writeFileSync(path.join(hosts.a.source, 'written-meanwhile.txt'), 'new on host-a');

  const waiting = await backup(b, b.source);
  const other = await backup(hosts.a, hosts.a.source);
  expect(await activityWaitsForWorker(waiting)).toBe(true);
  const fromA: BackupOutput = await other.result();
  expect(fromA).toMatchObject({ host: 'host-a', filesNew: 1 });
  // host-a's backup is done and host-b's still waits for a worker on its queue.
  expect((await waiting.describe()).status.name).toBe('RUNNING');
  expect(await activityWaitsForWorker(waiting)).toBe(true);

  b.worker = await startMeridianWorker(b.env);
  const fromB: BackupOutput = await waiting.result();
  expect(fromB).toMatchObject({ host: 'host-b', source: b.source, filesNew: 1 });
  // The wait spent no attempt: the one attempt is the restarted worker's.
  expect(activityAttempts(await waiting.fetchHistory(), 'backupSnapshot')).toEqual([1]);
  expect(await snapshotsOf('host-b')).toHaveLength(2);
});

test("the HTTP API sends a backup of a source to the source's host, and any operation to the host it names", async () => {
  const TOKEN = 'fleet-api-token-0123456789';
  const sources = { rasters: { path: hosts.b.source, repository: repo, host: 'host-b', taskQueue: hosts.b.queue } };
  const api = createApiApp({ client: scope.t.client, authority: testAuthority(PASS), token: TOKEN, taskQueue: controlQueue, config: { sources } });
  const post = async (route: string, body: object) => {
    const response = await api.request(route, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { workflowId: string; dataTaskQueue?: string };
    scope.started.push(accepted.workflowId);
    return { accepted, run: scope.t.client.workflow.getHandle(accepted.workflowId) };
  };

  // The request names neither host nor queue: meridian.yaml says where the source lives.
  fs.writeFileSync(path.join(hosts.b.source, 'sent-by-the-api.txt'), 'routed by meridian.yaml');
  const routed = await post('/v1/backups', { repo, path: hosts.b.source });
  expect(routed.accepted.dataTaskQueue).toBe(hosts.b.queue);
  const fromB: BackupOutput = await routed.run.result();
  expect(fromB).toMatchObject({ host: 'host-b', source: hosts.b.source, filesNew: 1 });
  expect(await activityQueues(routed.run)).toEqual([hosts.b.queue]);

  // A restore the request sends to host-a by its queue runs there, into host-a's own roots.
  const target = path.join(path.dirname(hosts.a.source), 'restored-from-b');
  const restore = await post('/v1/restores', { repo, snapshot: fromB.snapshotId, target, dataTaskQueue: hosts.a.queue });
  expect(restore.accepted.dataTaskQueue).toBe(hosts.a.queue);
  await restore.run.result();
  expect(await activityQueues(restore.run)).toEqual([hosts.a.queue]);
  expectSameTree(hosts.b.source, target);

  // Sent to host-a, host-b's directory is refused there, as any backup routed to the wrong host is.
  const misrouted = await post('/v1/backups', { repo, path: hosts.b.source, dataTaskQueue: hosts.a.queue, host: 'host-a' });
  await expect(misrouted.run.result()).rejects.toMatchObject({ cause: { cause: { type: 'refused' } } });
  // Its one backup attempt ran on host-a's queue (the failure's notification then runs on the control queue).
  expect((await activityQueues(misrouted.run))[0]).toBe(hosts.a.queue);
  expect(activityAttempts(await misrouted.run.fetchHistory(), 'backupSnapshot')).toEqual([1]);
});
