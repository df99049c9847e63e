// Records the replay fixtures in test/replay/histories/: runs each Meridian workflow on a
// throwaway dev server with a real worker (local repository, a small tree) and saves its history
// as JSON; test/integration/replay.test.ts replays them against the current workflow code. Record
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
import { LocalStorage } from '../../storage/local.js';
import { repositoryLocationKey } from '../../storage/open.js';
import { createMeridianWorker } from '../../worker/createWorker.js';
import { startDevServer } from '../../worker/devServer.js';
import { configuredAuthority } from '../../worker/authority.js';
import { temporalBinary } from '../../worker/temporalBinary.js';
import type { WorkerConfig } from '../../worker/workerConfig.js';
import { scheduledRunWorkflowId } from '../../schedules/names.js';
import type { ScheduledBackupInput, ScrubInput } from '../../workflows/shared.js';
import { initReplica } from '../../core/replicaInit.js';
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
  const named = Object.entries(replicated).map(([name, url]) => ({ name: `replay-${name}`, url, key: repositoryLocationKey(url) }));

  const config: WorkerConfig = {
    repositories: [...[repo, otherRepo].map((url) => ({ url, key: repositoryLocationKey(url) })), ...named],
    sourceRoots: [work],
    restoreRoots: [work],
    origin: { kind: 'command' },
    replication: {
      sets: { replay: { primary: 'replay-primary', replicas: ['replay-replica', 'replay-uninitialized'], mode: 'async', deleteGraceHours: 24 } },
      regions: {},
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
      // The official CLI's JSON, the format every SDK's replayer reads.
      const json = execFileSync(temporalBinary(), ['workflow', 'show', '--address', server.address, '--workflow-id', handle.workflowId, '--output', 'json']);
      fs.writeFileSync(path.join(OUT, `${name}.json`), json);
      console.log(`recorded ${name}`);
    };
    fs.mkdirSync(OUT, { recursive: true });
    await record('backup-completed', await startOperation(client, 'backup', { repo, path: source, type: 'full', tags: ['replay'] }, taskQueue));
    await record('restore-completed', await startOperation(client, 'restore', { repo, snapshot: 'latest', target: path.join(work, 'target') }, taskQueue));
    await record('verify-completed', await startOperation(client, 'verify', { repo, level: 'deep' }, taskQueue));
    await record('verify-wrong-passphrase', await startOperation(client, 'verify', { repo: otherRepo, level: 'quick' }, taskQueue));
    await record('repair-index-completed', await startOperation(client, 'repair-index', { repo }, taskQueue));
    await record('repair-snapshots-completed', await startOperation(client, 'repair-snapshots', { repo }, taskQueue));
    await record('unlock-completed', await startOperation(client, 'unlock', { repo }, taskQueue));
    await record('forget-completed', await startOperation(client, 'forget', { repo, policy: { keepLast: 1 }, timezone: 'UTC' }, taskQueue));
    await record('forget-prune-completed', await startOperation(client, 'forget', { repo, policy: { keepLast: 1 }, prune: { maxUnusedPercent: 0 } }, taskQueue));
    await record('prune-completed', await startOperation(client, 'prune', { repo, maxUnusedPercent: 0 }, taskQueue));
    const scrubInput: ScrubInput = { repo, cycle: 2, budgetBytes: 1 };
    await record('scrub-completed', await client.workflow.start('scrubWorkflow', { taskQueue, workflowId: `scrub:${repo}:replay`, args: [scrubInput] }));
    // A schedule's run (started here by hand: the first run, which prunes with every: 1); the failed one notifies (email: logged only).
    const scheduled: ScheduledBackupInput = { schedule: 'replay', backup: { repo, path: source }, retention: { policy: { keepLast: 1 }, timezone: 'UTC' }, prune: { every: 1, maxUnusedPercent: 0 }, notify: ['ops@example.org'] };
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
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await clientConnection.close();
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
