// Records the replay fixtures in test/replay/histories/: runs each Meridian workflow on a
// throwaway dev server with a real worker (local repository, a small tree, a throwaway PostgreSQL
// cluster for the pg operations, moto's S3 server for an immutable repository) and saves its history as JSON;
// test/integration/replay.test.ts replays them against the current workflow code. Record
// again only for a deliberate, patched change of a workflow, never to make a failing replay pass;
// name the fixtures to write (the others are run but not rewritten), e.g. a new workflow type's:
//   npm run build && node dist/test/replay/recordHistories.js [NAME…]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startOperation } from '../../api/operations.js';
import { Repository } from '../../core/repository.js';
import { deleteWal, listWal, pushWal } from '../../core/walArchive.js';
import { listPgBackups } from '../../core/pgBaseBackup.js';
import { listJournalSegments } from '../../core/journal.js';
import { giveToPostgres, TestCluster } from '../helpers/postgres.js';
import { eventually } from '../helpers/polling.js';
import { LocalStorage } from '../../storage/local.js';
import { openStorage, repositoryLocationKey } from '../../storage/open.js';
import { openS3Versions } from '../../storage/s3Versions.js';
import { startObjectLockS3Server } from '../setup/servers/objectLockS3.js';
import { createMeridianWorker } from '../../worker/createWorker.js';
import { startDevServer } from '../../worker/devServer.js';
import { configuredAuthority } from '../../worker/authority.js';
import { temporalBinary } from '../../worker/temporalBinary.js';
import type { WorkerConfig } from '../../worker/workerConfig.js';
import { scheduledRunWorkflowId } from '../../schedules/names.js';
import type { ScheduledBackupInput, ScrubInput } from '../../workflows/shared.js';
import { initReplica } from '../../core/replicaInit.js';
import { approveStepUpdate, RunbookInput, runbookStatusQuery, runbookWorkflowId } from '../../workflows/runbookDefs.js';
import { RunbookSchema } from '../../config/runbookSchema.js';
import { FailoverEntrySchema } from '../../config/schema.js';
import { failbackUpdate, failoverStatusQuery, failoverUpdate, failoverWorkflowId, reloadFailoverSignal } from '../../workflows/failoverDefs.js';
import type { z } from 'zod';
import { reloadSlasSignal, SLA_MONITOR_WORKFLOW_ID, SlaMonitorInput, slaReportQuery, slaStatusQuery } from '../../workflows/slaDefs.js';
import { journalWorkflowId, type JournalInput } from '../../workflows/journalDefs.js';
import { replicateNowUpdate, replicationStatusQuery, ReplicationVerifyInput, replicationVerifyWorkflowId, replicationWorkflowId } from '../../workflows/replicationDefs.js';

const PASSPHRASE = 'replay fixture passphrase';
const OUT = path.join(__dirname, '..', '..', '..', 'test', 'replay', 'histories');

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-replay-'));
  const source = path.join(work, 'source');
  fs.mkdirSync(path.join(source, 'tiles'), { recursive: true });
  fs.writeFileSync(path.join(source, 'tiles', 'a.geojson'), '{"type":"FeatureCollection","features":[]}');
  fs.writeFileSync(path.join(source, 'dem.tif'), Buffer.alloc(200_000, 3));
  const repo = path.join(work, 'repo');
  await Repository.init(new LocalStorage(repo), PASSPHRASE, {});
  const otherRepo = path.join(work, 'other-repo');
  await Repository.init(new LocalStorage(otherRepo), 'a passphrase this worker does not hold', {});
  // A replica set of its own: a primary, a replica of it, and a "replica" nobody initialized (it fails).
  const replicated = { primary: path.join(work, 'replicated'), replica: path.join(work, 'replica'), uninitialized: path.join(work, 'uninitialized') };
  await initReplica(await Repository.init(new LocalStorage(replicated.primary), PASSPHRASE, {}), new LocalStorage(replicated.replica));
  fs.mkdirSync(replicated.uninitialized);
  // A failover entry over a set of two regions: eu the primary, us a replica of it.
  const regionMembers = { eu: path.join(work, 'region-eu'), us: path.join(work, 'region-us') };
  await initReplica(await Repository.init(new LocalStorage(regionMembers.eu), PASSPHRASE, {}), new LocalStorage(regionMembers.us));
  const named = [...Object.entries(replicated), ...Object.entries(regionMembers).map(([region, url]) => [`fo-${region}`, url] as const)].map(([name, url]) => ({
    name: `replay-${name}`,
    url,
    key: repositoryLocationKey(url),
  }));

  // An immutable repository on moto's S3 server (Object Lock), for its maintenance workflow.
  const lockServer = await startObjectLockS3Server();
  process.env.AWS_ACCESS_KEY_ID ??= 'replay';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'replay';
  const immutableRepo = `s3://replay-immutable/repo?endpoint=${lockServer.endpoint}&pathStyle=true&region=us-east-1`;
  const versions = openS3Versions(immutableRepo);
  await versions.enable({ days: 1, mode: 'compliance' });
  await versions.close();
  await Repository.init(await openStorage(immutableRepo), PASSPHRASE, {});

  const config: WorkerConfig = {
    repositories: [...[repo, otherRepo, immutableRepo].map((url) => ({ url, key: repositoryLocationKey(url) })), ...named],
    sourceRoots: [work],
    restoreRoots: [work],
    origin: { kind: 'command' },
    sources: { 'replay-src': { path: source, repository: 'replay-primary' } },
    runbooks: {
      'replay-drill': RunbookSchema.parse(replayRunbook(repo, source, path.join(work, 'runbook-target'))),
      'replay-escalate': RunbookSchema.parse({ description: 'replay fixture: an approval that times out and escalates', steps: [{ name: 'sign-off', kind: 'manual', approvers: ['replay'], approvalTimeout: '1s', onTimeout: 'escalate', escalateTo: ['replay-lead'] }] }),
    },
    replication: {
      sets: {
        replay: { primary: 'replay-primary', replicas: ['replay-replica', 'replay-uninitialized'], mode: 'async', deleteGraceHours: 24 },
        'replay-fo': { primary: 'replay-fo-eu', replicas: ['replay-fo-us'], mode: 'async', deleteGraceHours: 24 },
      },
      regions: { 'replay-fo-eu': 'eu', 'replay-fo-us': 'us' },
      failover: { 'replay-fo': FailoverEntrySchema.parse({ replication: 'replay-fo', primaryRegion: 'eu', secondaryRegions: ['us'], healthCheckIntervalSecs: 1 }) },
      retryFloorMs: 1000,
    },
  };

  const server = await startDevServer({ ui: false });
  const connection = await NativeConnection.connect({ address: server.address });
  const clientConnection = await Connection.connect({ address: server.address });
  const client = new Client({ connection: clientConnection });
  const taskQueue = 'replay-fixtures';
  const worker = await createMeridianWorker({ connection, taskQueue, deps: { authority: configuredAuthority(config, { passphrase: PASSPHRASE }), workerConfig: config } });
  const running = worker.run();
  try {
    const only = process.argv.slice(2);
    const record = async (name: string, handle: WorkflowHandle) => {
      await handle.result().catch(() => undefined); // a failed run is a fixture too
      if (only.length > 0 && !only.includes(name)) return;
      // The official CLI's JSON, the format every SDK's replayer reads, plus the workflow id (a runbook's child ids contain it).
      const json = JSON.parse(execFileSync(temporalBinary(), ['workflow', 'show', '--address', server.address, '--workflow-id', handle.workflowId, '--output', 'json']).toString('utf8'));
      fs.writeFileSync(path.join(OUT, `${name}.json`), `${JSON.stringify({ workflowId: handle.workflowId, ...json }, null, 2)}\n`);
      console.log(`recorded ${name}`);
    };
    fs.mkdirSync(OUT, { recursive: true });
    await record('backup-completed', await startOperation(client, 'backup', { repo, path: source, type: 'full', tags: ['replay'] }, taskQueue));
    await record('backup-failed', await startOperation(client, 'backup', { repo, path: path.join(work, 'gone') }, taskQueue));
    await record('restore-completed', await startOperation(client, 'restore', { repo, snapshot: 'latest', target: path.join(work, 'target') }, taskQueue));
    await record('verify-completed', await startOperation(client, 'verify', { repo, level: 'deep' }, taskQueue));
    await record('verify-wrong-passphrase', await startOperation(client, 'verify', { repo: otherRepo, level: 'quick' }, taskQueue));
    await record('repair-index-completed', await startOperation(client, 'repair-index', { repo }, taskQueue));
    await record('repair-snapshots-completed', await startOperation(client, 'repair-snapshots', { repo }, taskQueue));
    await record('unlock-completed', await startOperation(client, 'unlock', { repo }, taskQueue));
    await record('forget-completed', await startOperation(client, 'forget', { repo, policy: { keepLast: 1 }, timezone: 'UTC' }, taskQueue));
    await record('forget-prune-completed', await startOperation(client, 'forget', { repo, policy: { keepLast: 1 }, prune: { maxUnusedPercent: 0 } }, taskQueue));
    await record('prune-completed', await startOperation(client, 'prune', { repo, maxUnusedPercent: 0 }, taskQueue));
    await (await Repository.open(new LocalStorage(repo), PASSPHRASE)).startRotation(PASSPHRASE);
    await record('key-rotation-completed', await startOperation(client, 'key-rotation', { repo }, taskQueue));
    const scrubInput: ScrubInput = { repo, cycle: 2, budgetBytes: 1 };
    await record('scrub-completed', await client.workflow.start('scrubWorkflow', { taskQueue, workflowId: `scrub:${repo}:replay`, args: [scrubInput] }));
    // A schedule's run (started here by hand: the first run, which prunes with every: 1); the failed one notifies (email: logged only).
    const scheduled: ScheduledBackupInput = { schedule: 'replay', backup: { repo, path: source }, retention: { policy: { keepLast: 1 }, timezone: 'UTC' }, prune: { every: 1, maxUnusedPercent: 0 }, notify: ['ops'] };
    const startScheduled = (input: ScheduledBackupInput, suffix: string) => client.workflow.start('scheduledBackupWorkflow', { taskQueue, workflowId: `${scheduledRunWorkflowId('backup', 'replay')}-${suffix}`, args: [input] });
    await record('scheduled-backup-completed', await startScheduled(scheduled, 'completed'));
    await record('scheduled-backup-failed', await startScheduled({ ...scheduled, backup: { repo, path: path.join(work, 'gone') } }, 'failed'));

    // A backup of a set's primary starts the set's workflow (the replication-trigger patch), whose
    // passes copy to one replica and fail for the other, retried on a timer; a Schedule's tick
    // signals the running workflow; a verify compares the replica that works.
    await record('backup-replicated', await startOperation(client, 'backup', { repo: 'replay-primary', path: source, type: 'full' }, taskQueue));
    const set = client.workflow.getHandle(replicationWorkflowId('replay'));
    await record('replication-tick-completed', await client.workflow.start('replicationTickWorkflow', { taskQueue, workflowId: 'scheduled-replication:replay-tick', args: [{ set: 'replay' }] }));
    await set.executeUpdate(replicateNowUpdate, { args: [{}] });
    while ((await set.query(replicationStatusQuery)).passes < 4) await new Promise((resolve) => setTimeout(resolve, 200));
    const verifyInput: ReplicationVerifyInput = { set: 'replay', replica: 'replay-replica' };
    await record('replication-verify-completed', await client.workflow.start('replicationVerifyWorkflow', { taskQueue, workflowId: replicationVerifyWorkflowId('replay', new Date()), args: [verifyInput] }));
    await set.terminate('replay fixture recorded');
    await record('replication-failing-replica', set);

    // A runbook execution: a backup and a restore (child workflows), a timer, an approval (an Update), a compare; and its dry run.
    const startRunbook = (dryRun: boolean) => {
      const input: RunbookInput = { runbook: 'replay-drill', params: {}, dryRun, startedBy: 'replay' };
      return client.workflow.start('runbookWorkflow', { taskQueue, workflowId: runbookWorkflowId('replay-drill', dryRun ? 'dry-run' : 'approved'), args: [input] });
    };
    const runbook = await startRunbook(false);
    while ((await runbook.query(runbookStatusQuery)).status !== 'waiting-for-approval') await new Promise((resolve) => setTimeout(resolve, 200));
    await runbook.executeUpdate(approveStepUpdate, { args: [{ step: 'sign-off', by: 'replay', note: 'fixture' }] });
    await record('runbook-approved', runbook);
    await record('runbook-dry-run', await startRunbook(true));
    // A manual step nobody decides in time: it escalates (a second runbook-waiting event), then the widened approver approves.
    const escalating = await client.workflow.start('runbookWorkflow', { taskQueue, workflowId: runbookWorkflowId('replay-escalate', 'escalated'), args: [{ runbook: 'replay-escalate', params: {}, startedBy: 'replay' } satisfies RunbookInput] });
    while (!(await escalating.query(runbookStatusQuery)).steps[0]?.approvers?.includes('replay-lead')) await new Promise((resolve) => setTimeout(resolve, 200));
    await escalating.executeUpdate(approveStepUpdate, { args: [{ step: 'sign-off', by: 'replay-lead' }] });
    await record('runbook-escalated', escalating);

    // A failover monitor: checks of both regions, a rejected Update (no trace), a reload, a manual
    // failover (graceful: eu is healthy) and a failback, each signalling the set's replication.
    const monitor = await client.workflow.start('failoverMonitorWorkflow', { taskQueue, workflowId: failoverWorkflowId('replay-fo'), args: [{ name: 'replay-fo' }] });
    // Its query throws until it has read its entry: not started yet counts as no check.
    const checks = () => monitor.query(failoverStatusQuery).then((state) => state.checks, () => -1);
    const checksAfter = async (more: number) => {
      const target = Math.max(0, await checks()) + more;
      while ((await checks()) < target) await new Promise((resolve) => setTimeout(resolve, 200));
    };
    await checksAfter(2);
    await monitor.executeUpdate(failoverUpdate, { args: [{ to: 'mars' }] }).catch(() => undefined);
    await monitor.signal(reloadFailoverSignal, { digest: 'replay' });
    await monitor.executeUpdate(failoverUpdate, { args: [{ to: 'us', by: 'replay' }] });
    await checksAfter(2);
    await monitor.executeUpdate(failbackUpdate, { args: [{ by: 'replay' }] });
    await checksAfter(2);
    await monitor.terminate('replay fixture recorded');
    await record('failover', monitor);

    // The SLA monitor: evaluations that open an RPO violation (a 1 s target), a reload that
    // relaxes the target and so resolves it, each raising its event (no channels: delivered nowhere).
    const slaInput: SlaMonitorInput = {
      slas: [{ name: 'replay-sla', enabled: true, sources: ['replay-src'], rpoSeconds: 1, rtoSeconds: 3600, rtoTestedWithinSeconds: 86_400 }],
      sources: ['replay-src'],
      repositories: ['replay-primary'],
      intervalSeconds: 1,
    };
    const slaMonitor = await client.workflow.start('slaMonitorWorkflow', { taskQueue, workflowId: SLA_MONITOR_WORKFLOW_ID, args: [slaInput] });
    const evaluationsAfter = async (more: number) => {
      const target = (await slaMonitor.query(slaStatusQuery)).evaluations + more;
      while ((await slaMonitor.query(slaStatusQuery)).evaluations < target) await new Promise((resolve) => setTimeout(resolve, 200));
    };
    await evaluationsAfter(3);
    await slaMonitor.query(slaReportQuery, { sla: 'replay-sla' });
    await slaMonitor.signal(reloadSlasSignal, { ...slaInput, slas: [{ ...slaInput.slas[0]!, rpoSeconds: 3600 }] });
    await evaluationsAfter(2);
    await slaMonitor.terminate('replay fixture recorded');
    await record('sla-monitor', slaMonitor);

    // The journal of the source: a round watching it (1 s intervals), a file changed, then stopped by
    // cancellation (its last segment written on the way out). Its watcher state goes to the work folder.
    process.env.MERIDIAN_HOME = path.join(work, 'home');
    const journalInput: JournalInput = { repo, source, intervalSeconds: 1 };
    const journal = await client.workflow.start('journalWorkflow', { taskQueue, workflowId: journalWorkflowId(repo, source), args: [journalInput] });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    fs.writeFileSync(path.join(source, 'tiles', 'b.geojson'), '{"type":"FeatureCollection","features":[{}]}');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await journal.cancel();
    await record('journal-stopped', journal);

    // Restore to a time: the source as of now, past the journal's newest change (refused, naming the covered interval).
    await record('restore-at-refused', await startOperation(client, 'restore-at', { repo, source, at: new Date().toISOString(), target: path.join(work, 'restored-at') }, taskQueue));
    // …and as of the end of the journal's newest segment (inside the covered interval): restored.
    const segments = await listJournalSegments(await Repository.open(new LocalStorage(repo), PASSPHRASE), { source });
    const newestChange = segments.map((s) => s.until).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
    await record('restore-at-completed', await startOperation(client, 'restore-at', { repo, source, at: newestChange, target: path.join(work, 'restored-at-newest') }, taskQueue));
    // PostgreSQL without a cluster: a base backup and a restore refused for paths outside the worker's roots,
    // and a check (with a dry run of retention) of WAL archived by wal-push with no base backup kept.
    await record('pg-backup-refused', await startOperation(client, 'pg-backup', { repo, cluster: 'replay', pgdata: '/outside-the-roots/pgdata' }, taskQueue));
    await record('pg-restore-refused', await startOperation(client, 'pg-restore', { repo, cluster: 'replay', targetTime: new Date().toISOString(), targetDir: '/outside-the-roots/pgdata' }, taskQueue));
    const archive = await Repository.open(new LocalStorage(repo), PASSPHRASE);
    for (const walName of ['000000010000000000000001', '000000010000000000000002']) await pushWal(archive, { cluster: 'replay', walName, bytes: new Uint8Array(1 << 20) });
    await record('pg-verify-completed', await startOperation(client, 'pg-verify', { repo, cluster: 'replay', retention: true, dryRun: true }, taskQueue));
    await record('immutable-maintenance-completed', await startOperation(client, 'immutable-maintenance', { repo: immutableRepo }, taskQueue));
    await recordPostgres({ client, taskQueue, record, work, repo });
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await clientConnection.close();
    await server.stop();
    await lockServer.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

type RecordHistory = (name: string, handle: WorkflowHandle) => Promise<void>;

/**
 * PostgreSQL on a throwaway cluster archiving its WAL into `repo` with `meridian pg wal-push` (the
 * work folder given to `postgres`, whose archiver writes there): a base backup, a restore to a
 * moment after it (not started), then a check that finds the segment after the backup's first lost.
 */
async function recordPostgres({ client, taskQueue, record, work, repo }: { client: Client; taskQueue: string; record: RecordHistory; work: string; repo: string }): Promise<void> {
  const cluster = 'replay-pg';
  const meridian = path.join(__dirname, '..', '..', '..', 'bin', 'meridian.js');
  giveToPostgres(work);
  const pg = await TestCluster.create(path.join(work, 'pgdata'), `${process.execPath} ${meridian} pg wal-push --repo ${repo} --cluster ${cluster} %p`, { MERIDIAN_PASSWORD: PASSPHRASE });
  try {
    await record('pg-backup-completed', await startOperation(client, 'pg-backup', { repo, cluster, pgdata: pg.dir }, taskQueue));
    giveToPostgres(work); // what the worker wrote into the repository, for the archiver
    await pg.sql(async (c) => {
      await c.query('CREATE TABLE parcels (id int PRIMARY KEY, geom geometry(Point, 4326))');
      let switched = '';
      for (const id of [1, 2]) {
        await c.query('INSERT INTO parcels VALUES ($1, ST_SetSRID(ST_MakePoint(7, 46), 4326))', [id]);
        switched = (await c.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal')).rows[0]!.wal;
      }
      await eventually('the last WAL segment archived', async () => {
        const { rows: [archiver] } = await c.query<{ last: string | null }>('SELECT last_archived_wal AS last FROM pg_stat_archiver');
        return archiver!.last !== null && archiver!.last >= switched ? true : undefined;
      }, 120_000, 500);
    });
    // The moment the newest segment was archived: the end of what the cluster can be restored to.
    const archive = await Repository.open(new LocalStorage(repo), PASSPHRASE);
    const targetTime = new Date(Math.max(...(await listWal(archive, cluster)).map((w) => w.pushedAt.getTime()))).toISOString();
    await record('pg-restore-completed', await startOperation(client, 'pg-restore', { repo, cluster, targetTime, targetDir: path.join(work, 'pg-restored') }, taskQueue));
    const { startWal } = (await listPgBackups(archive, cluster)).pop()!.pg;
    // The segment after the backup's first (not its .backup label file).
    const afterStart = (await listWal(archive, cluster)).map((w) => w.walName).filter((name) => /^[0-9A-F]{24}$/.test(name) && name > startWal).sort()[0]!;
    await deleteWal(archive, { cluster, walName: afterStart });
    await record('pg-verify-damaged', await startOperation(client, 'pg-verify', { repo, cluster }, taskQueue));
  } finally {
    pg.stop();
  }
}

/** The runbook of the runbook fixtures. */
function replayRunbook(repo: string, source: string, target: string): z.input<typeof RunbookSchema> {
  return {
    description: 'replay fixture: back up, wait, approve, restore, compare',
    steps: [
      { name: 'backup', kind: 'automated', action: 'backup', params: { repo, path: source } },
      { name: 'settle', kind: 'automated', action: 'wait', timeout: '1s' },
      { name: 'sign-off', kind: 'manual', approvers: ['replay'] },
      { name: 'restore', kind: 'automated', action: 'restore', params: { repo, snapshot: '${steps.backup.snapshotId}', target } },
      { name: 'compare', kind: 'automated', action: 'compare', params: { repo, source, target } },
    ],
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
