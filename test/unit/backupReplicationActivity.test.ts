// The backup activity of a replica set's primary, through real activity code (in a Temporal
// activity context) with the worker's configuration and authority over repositories on disk: in
// sync mode a replica down makes the heartbeat say whom the backup waits for (what
// GET /v1/operations/:id and the CLI show) while no repository lists the snapshot, and once it
// answers the result says every replica holds it; the timeout is a non-retryable
// replica-unavailable failure; in async mode the result names every replica as lagging.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index';
import { initReplica } from '../../core/replicaInit';
import { Repository } from '../../core/repository';
import { ReplicationEntrySchema } from '../../config/schema';
import { FaultOptions, FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { repositoryLocationKey } from '../../storage/open';
import { configuredAuthority } from '../../worker/authority';
import { WorkerConfig } from '../../worker/workerConfig';
import { BackupOutput } from '../../workflows/shared';
import { HISTORY_INIT, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { eventually } from '../helpers/polling';
import { snapshotNames } from '../helpers/replicaBarriers';
import { tempDir } from '../helpers/trees';

const NAMES = ['main', 'copy-eu', 'copy-us'] as const;

/** A primary and two replicas on disk, a worker configuration naming them as set `gis`, and the activities of that worker; copy-us can go down. */
async function workerWithSet(set: Record<string, unknown>) {
  const dirs = Object.fromEntries(NAMES.map((name) => [name, tempDir(`activity-${name}`)]));
  const primary = await Repository.init(new LocalStorage(dirs.main!), HISTORY_PASSPHRASE, HISTORY_INIT);
  for (const name of NAMES.slice(1)) await initReplica(primary, new LocalStorage(dirs[name]!));
  const config: WorkerConfig = {
    repositories: NAMES.map((name) => ({ name, url: dirs[name]!, key: repositoryLocationKey(dirs[name]!) })),
    sourceRoots: [os.tmpdir()],
    restoreRoots: [os.tmpdir()],
    replication: { sets: { gis: ReplicationEntrySchema.parse({ primary: 'main', replicas: ['copy-eu', 'copy-us'], ...set }) }, regions: { 'copy-us': 'us-east1' } },
    origin: { kind: 'command' },
  };
  const usFaults: FaultOptions = { failureRate: 0 };
  const activities = createActivities({
    authority: configuredAuthority(config, { passphrase: HISTORY_PASSPHRASE }),
    openRepository: async (admitted) => {
      const plain = new LocalStorage(admitted.url);
      return Repository.open(admitted.url === dirs['copy-us'] ? new FaultyStorage(plain, usFaults) : plain, admitted.passphrase());
    },
    workerConfig: config,
  });
  const snapshotsIn = (name: (typeof NAMES)[number]) => snapshotNames(new LocalStorage(dirs[name]!));
  return { activities, usFaults, snapshotsIn, dirs };
}

function runBackup(worker: Awaited<ReturnType<typeof workerWithSet>>) {
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'backup:gis-test', runId: 'r' } });
  const heartbeats: Record<string, unknown>[] = [];
  env.on('heartbeat', (details: Record<string, unknown>) => heartbeats.push(details));
  const running: Promise<BackupOutput> = env.run(() => worker.activities.backupSnapshot({ repo: 'main', path: historySource(0), type: 'full' }));
  running.catch(() => undefined);
  return { running, heartbeats };
}

it('sync: the heartbeat names the replica waited for while no repository lists the snapshot; then every replica holds it', async () => {
  const worker = await workerWithSet({ mode: 'sync', syncTimeout: '60s' });
  worker.usFaults.failureRate = 1;
  const { running, heartbeats } = runBackup(worker);
  await eventually('a heartbeat waiting for copy-us', () => heartbeats.some((h) => typeof h.waiting === 'string' && h.waiting.includes('copy-us (us-east1): [storage:faulty] injected failure')) || undefined, 20_000, 10);
  for (const name of NAMES) expect(await worker.snapshotsIn(name)).toEqual([]);

  worker.usFaults.failureRate = 0;
  const output = await running;
  expect(output.replication).toMatchObject({ set: 'gis', mode: 'sync', heldBy: ['copy-eu', 'copy-us'], lagging: [] });
  expect(output.replication!.waitedMs).toBeGreaterThan(0);
  for (const name of NAMES) expect(await worker.snapshotsIn(name)).toEqual([output.snapshotId]);
});

it('sync: a replica that stays down fails the backup for good with replica-unavailable, and no repository lists a snapshot', async () => {
  const worker = await workerWithSet({ mode: 'sync', syncTimeout: '300ms' });
  worker.usFaults.failureRate = 1;
  const err = await runBackup(worker).running.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'replica-unavailable', nonRetryable: true, message: expect.stringContaining('copy-us (us-east1)') });
  for (const name of NAMES) expect(await worker.snapshotsIn(name)).toEqual([]);
});

it('sync: a replica location holding no repository fails the backup at once with not-a-replica, saying how to make it one', async () => {
  const worker = await workerWithSet({ mode: 'sync', syncTimeout: '60s' });
  fs.rmSync(path.join(worker.dirs['copy-us']!, 'config'));
  const err = await runBackup(worker).running.catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'not-a-replica', nonRetryable: true, message: expect.stringContaining('make copy-us a replica first (meridian init --replica-of main --repo <its URL>)') });
  for (const name of NAMES) expect(await worker.snapshotsIn(name)).toEqual([]);
});

it('async: the backup commits on the primary alone and names every replica as lagging', async () => {
  const worker = await workerWithSet({ mode: 'async' });
  const output = await runBackup(worker).running;
  expect(output.replication).toEqual({ set: 'gis', mode: 'async', heldBy: [], lagging: ['copy-eu', 'copy-us'], waitedMs: 0 });
  expect(await worker.snapshotsIn('main')).toEqual([output.snapshotId]);
  expect(await worker.snapshotsIn('copy-eu')).toEqual([]);
});
