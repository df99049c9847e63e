// The replica set's workflow on the real dev server with a real worker and local repositories: a
// backup of the primary through its workflow asks the set's workflow for a pass by itself (and
// shows as lag while the replica is held by another replicator); two Schedule ticks and a
// `replicateNow` at the same moment make one execution whose passes never overlap; a pass run
// from elsewhere on the same replica at the same time makes the workflow's pass defer.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { startOperation } from '../../api/operations';
import { backup } from '../../core/archiver';
import { acquireLock } from '../../core/locks';
import { initReplica } from '../../core/replicaInit';
import { replicatePass } from '../../core/replication';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { repositoryLocationKey } from '../../storage/open';
import { Handle } from '../../storage/storage';
import type { PassResult } from '../../core/replicationTypes';
import { configuredAuthority } from '../../worker/authority';
import type { WorkerConfig } from '../../worker/workerConfig';
import { replicateNowUpdate, ReplicationState, replicationStatusQuery, replicationVerifyWorkflowId, replicationWorkflowId } from '../../workflows/replicationDefs';
import type { ReplicationVerifyOutput } from '../../workflows/replicationDefs';
import type { BackupOutput } from '../../workflows/shared';
import { RecordingStorage } from '../helpers/recordingStorage';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { readUntil } from '../helpers/polling';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASS = 'replication runs passphrase';
const LOCK_TIMINGS = { refreshMs: 500, staleMs: 2000 };

let t: TestConnection;
const started: string[] = [];
const workers: RunningWorker[] = [];

beforeAll(async () => {
  t = await testConnection();
});

afterAll(async () => {
  for (const workflowId of started) await t.client.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
  for (const worker of workers) await worker.stop();
  await t.close();
});

interface ReplicaSetFixture {
  set: string;
  primary: Repository;
  replicaDirs: Map<string, string>;
  worker: RunningWorker;
}

let sets = 0;

/** A primary, `replicas` replicas of it (meridian init --replica-of), all local, and a worker serving the set (retries after 1 s). */
async function replicaSetWithWorker(replicas: string[]): Promise<ReplicaSetFixture> {
  sets += 1;
  const set = `runs-${process.pid}-${Date.now().toString(36)}-${sets}`;
  const primaryDir = tempDir('replication-runs-primary');
  const primary = await Repository.init(new LocalStorage(primaryDir), PASS, { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 });
  const replicaDirs = new Map<string, string>();
  for (const name of replicas) {
    const dir = tempDir(`replication-runs-${name}`);
    await initReplica(primary, new LocalStorage(dir));
    replicaDirs.set(name, dir);
  }
  const repositories = [['primary', primaryDir] as const, ...replicaDirs].map(([name, url]) => ({ name, url, key: repositoryLocationKey(url) }));
  const workerConfig: WorkerConfig = {
    repositories,
    sourceRoots: [os.tmpdir()],
    restoreRoots: [os.tmpdir()],
    origin: { kind: 'command' },
    replication: { sets: { [set]: { primary: 'primary', replicas, mode: 'async', deleteGraceHours: 24 } }, regions: {}, retryFloorMs: 1000 },
  };
  const worker = await startWorker(t, PASS, uniqueTaskQueue('replication-runs'), {
    authority: configuredAuthority(workerConfig, { passphrase: PASS }),
    workerConfig,
    lockTimings: LOCK_TIMINGS,
  });
  started.push(replicationWorkflowId(set));
  workers.push(worker);
  return { set, primary, replicaDirs, worker };
}

function openReplica(fixture: ReplicaSetFixture, name: string, wrap?: (storage: LocalStorage) => LocalStorage | RecordingStorage): Promise<Repository> {
  const storage = new LocalStorage(fixture.replicaDirs.get(name)!);
  return Repository.open(wrap ? wrap(storage) : storage, PASS);
}

function snapshotsOf(dir: string): string[] {
  const folder = path.join(dir, 'snapshots');
  return fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
}

async function status(client: Client, set: string): Promise<ReplicationState> {
  return client.workflow.getHandle(replicationWorkflowId(set)).query(replicationStatusQuery);
}


async function backupFromTest(repo: Repository, seed: number): Promise<string> {
  const source = tempDir('replication-runs-src');
  writeTree(source, { smallFiles: 12, largeFiles: [600_000] });
  fs.writeFileSync(path.join(source, 'round.bin'), pseudoRandomBytes(700_000, seed));
  return (await backup(repo, { source, type: 'full', threads: 0 })).snapshotId;
}

test('a backup of the primary asks the set for a pass by itself; while another replicator holds the replica it shows as lag, then is copied', async () => {
  const fixture = await replicaSetWithWorker(['r1']);
  const { set } = fixture;
  const replica = await openReplica(fixture, 'r1');
  // Another replicator (another cluster, a cron job) holds the replica.
  const other = await acquireLock(replica, { operation: 'replicate', exclusive: true, timings: LOCK_TIMINGS });

  const source = tempDir('replication-runs-src');
  writeTree(source, { smallFiles: 20, largeFiles: [1_500_000] });
  const run = await startOperation(t.client, 'backup', { repo: 'primary', path: source, type: 'full' }, fixture.worker.taskQueue);
  const output: BackupOutput = await run.result();
  expect(output.replication).toEqual({ set, mode: 'async', heldBy: [], lagging: ['r1'], waitedMs: 0 });
  expect(output.warnings).toEqual([]);

  const deferred = await readUntil('r1 deferred one snapshot behind', () => status(t.client, set), (s) => s.replicas[0]?.state === 'deferred' && s.replicas[0].behind.snapshots === 1);
  expect(deferred.replicas[0]).toMatchObject({ name: 'r1', reachable: true, reason: expect.stringContaining('another replication holds r1') });
  expect(Date.parse(deferred.replicas[0]!.behind.oldestMissingAt!)).toBeGreaterThan(0);
  // Measured by the deferred pass from the listings: the backup's packs, plus its index and snapshot files.
  expect(deferred.replicas[0]!.behind.bytes).toBeGreaterThanOrEqual(output.bytesStored);
  expect(deferred.replicas[0]!.behind.bytes).toBeLessThan(output.bytesStored * 1.05);
  expect(snapshotsOf(fixture.replicaDirs.get('r1')!)).toEqual([]);

  await other.release();
  const handle = t.client.workflow.getHandle(replicationWorkflowId(set));
  const [result] = await handle.executeUpdate(replicateNowUpdate, { args: [{}] });
  expect(result).toMatchObject({ replica: 'r1', copied: { byType: { snapshots: 1 } }, behind: { snapshots: 0, bytes: 0 } });
  expect(result!.deferred).toBeUndefined();
  expect(snapshotsOf(fixture.replicaDirs.get('r1')!)).toEqual([output.snapshotId]);
  const idle = await status(t.client, set);
  expect(idle.replicas[0]).toMatchObject({ state: 'idle', reachable: true, behind: { snapshots: 0 } });
  expect(idle.replicas[0]!.lastSuccessAt).toBeDefined();
  expect(idle.replicas[0]!.lastError).toBeUndefined();

  const verifyId = replicationVerifyWorkflowId(set, new Date());
  const verified: ReplicationVerifyOutput = await t.client.workflow.execute('replicationVerifyWorkflow', { taskQueue: fixture.worker.taskQueue, workflowId: verifyId, args: [{ set }] });
  expect(verified).toMatchObject({ workflowId: verifyId, set, ok: true, differences: 0, replicas: [{ replica: 'r1', configMatches: true, differences: 0 }] });
});

test('two ticks and a replicateNow at one moment run in one execution whose passes never overlap; a pass from elsewhere on a replica defers the workflow for it', async () => {
  const fixture = await replicaSetWithWorker(['r1', 'r2']);
  const { set, worker } = fixture;
  const workflowId = replicationWorkflowId(set);
  await backupFromTest(fixture.primary, 1);

  const tick = (n: number) => t.client.workflow.execute('replicationTickWorkflow', { taskQueue: worker.taskQueue, workflowId: `scheduled-replication:${set}-${n}`, args: [{ set }] });
  const now = t.client.workflow.executeUpdateWithStart(replicateNowUpdate, {
    args: [{}],
    startWorkflowOperation: new WithStartWorkflowOperation('replicationWorkflow', { workflowId, taskQueue: worker.taskQueue, args: [{ set }], workflowIdConflictPolicy: 'USE_EXISTING' }),
  });
  const [, , results] = await Promise.all([tick(1), tick(2), now]);
  expect(results.map((r) => [r.replica, r.failed, r.deferred, r.behind.snapshots])).toEqual([
    ['r1', undefined, undefined, 0],
    ['r2', undefined, undefined, 0],
  ]);
  const executions = [];
  for await (const execution of t.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) executions.push(execution);
  expect(executions).toHaveLength(1);
  const passes = await passIntervals(t.client, workflowId);
  expect(passes.length).toBeGreaterThanOrEqual(1);
  // Four requests (the start, two tick signals, the update) collapse into as many passes at most.
  expect(passes.length).toBeLessThanOrEqual(4);

  // A replicator elsewhere (a test-process pass, held in its first pack copy) holds r1 while the workflow passes.
  const held = new Gate();
  const hold = new Gate();
  const slow = await openReplica(fixture, 'r1', (storage) => new HeldPuts(storage, held, hold));
  let snapshotId: string;
  let elsewhere: Promise<PassResult>;
  for (let seed = 2; ; seed++) {
    if (seed > 7) throw new Error('in 6 tries, a pass of the workflow always held r1 or copied the new data before the pass from the test process reached its first pack');
    // New data for it to copy; a pass of the workflow for a late tick may still copy it first, or hold r1: then again.
    snapshotId = await backupFromTest(fixture.primary, seed);
    elsewhere = replicatePass(fixture.primary, slow, { replicaName: 'r1', graceHours: 24, lock: 'take', lockTimings: LOCK_TIMINGS, concurrency: 1 });
    const first = await Promise.race([held.opened.then(() => undefined), elsewhere]);
    if (first === undefined) break;
    if (first.deferred !== undefined) expect(first.deferred).toContain('another replication holds r1');
    else expect(first.copied.byType.data).toBe(0);
  }
  const during = await t.client.workflow.getHandle(workflowId).executeUpdate(replicateNowUpdate, { args: [{}] });
  hold.open();
  expect(during.find((r) => r.replica === 'r1')).toMatchObject({ deferred: expect.stringContaining('another replication holds r1') });
  expect(during.find((r) => r.replica === 'r2')).toMatchObject({ behind: { snapshots: 0 } });
  expect(during.find((r) => r.replica === 'r2')?.deferred).toBeUndefined();
  expect(snapshotsOf(fixture.replicaDirs.get('r2')!)).toContain(snapshotId);
  const elsewhereResult = await elsewhere;
  // This try's snapshot, and an earlier try's too when that try was deferred by a pass of the
  // workflow that had listed the primary before that try's backup (so left its snapshot behind).
  expect(elsewhereResult.copied.byType.snapshots).toBeGreaterThanOrEqual(1);
  expect(elsewhereResult.deferred).toBeUndefined();
  expect(snapshotsOf(fixture.replicaDirs.get('r1')!)).toContain(snapshotId);
  // The workflow's own retry (1 s) finds r1 whole.
  await readUntil('both replicas idle', () => status(t.client, set), (s) => s.replicas.every((r) => r.state === 'idle' && r.behind.snapshots === 0));
  const all = await passIntervals(t.client, workflowId);
  for (let i = 1; i < all.length; i++) expect(all[i]!.scheduled).toBeGreaterThan(all[i - 1]!.closed);
});

/**
 * The passes of the set's workflow from its history: the replicateToReplica activities scheduled in
 * one workflow task form a pass, which lasts until the last of them closed. Event ids order them.
 */
async function passIntervals(client: Client, workflowId: string): Promise<{ scheduled: number; closed: number }[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduledBy = new Map<number, number>(); // activity scheduled event id → pass index
  const passes: { scheduled: number; closed: number; task: number }[] = [];
  for (const event of events) {
    const id = Number(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'replicateToReplica') {
      const task = Number(scheduled.workflowTaskCompletedEventId);
      if (passes.at(-1)?.task !== task) passes.push({ scheduled: id, closed: id, task });
      scheduledBy.set(id, passes.length - 1);
    }
    const closedFor = closingScheduledId(event);
    if (closedFor !== undefined && scheduledBy.has(closedFor)) passes[scheduledBy.get(closedFor)!]!.closed = id;
  }
  return passes.map(({ scheduled, closed }) => ({ scheduled, closed }));
}

function closingScheduledId(event: temporal.api.history.v1.IHistoryEvent): number | undefined {
  const attributes = event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes ?? event.activityTaskCanceledEventAttributes;
  return attributes?.scheduledEventId != null ? Number(attributes.scheduledEventId) : undefined;
}

class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
}

/** A replica storage whose first data put opens `held` (its pass holds its locks by then) and waits for `hold` to open. */
class HeldPuts extends RecordingStorage {
  constructor(
    inner: LocalStorage,
    private readonly held: Gate,
    private readonly hold: Gate,
  ) {
    super(inner);
  }

  override async put(h: Handle, data: Uint8Array): Promise<void> {
    if (h.type === 'data') {
      this.held.open();
      await this.hold.opened;
    }
    return super.put(h, data);
  }
}
