// A replica is written only by replication: prune, forget, repair index, repair snapshots and
// backup refuse it ('replica-read-only', naming the primary's id), while restore and verify work;
// its replica-state document is not a lock, so lock listings leave it out and `unlock --force`
// never removes it.

import { backup } from '../../core/archiver';
import { forget } from '../../core/forget';
import { listLocks } from '../../core/locks';
import { prune } from '../../core/prune';
import { repairIndex, repairSnapshots } from '../../core/repair';
import { readReplicaState, replicaStateName } from '../../core/replicaState';
import { replicatePass } from '../../core/replication';
import { unlock } from '../../core/unlock';
import { expectIntact, historySource } from '../helpers/pruneHistory';
import { primaryWithReplica } from '../helpers/replicas';

it('refuses writes other than replication, keeps its state through unlock --force, and restores', async () => {
  const { primary, sources, openReplica } = await primaryWithReplica(1);
  const replica = await openReplica();
  await replicatePass(primary, replica, { replicaName: 'r1', graceHours: 24 });
  const refusal = (what: string) => ({
    code: 'replica-read-only',
    message: `[replication] ${replica.storage.location} is a replica of repository ${primary.config.id}: run ${what} on the primary`,
  });
  await expect(prune(replica, {})).rejects.toMatchObject(refusal('prune'));
  await expect(forget(replica, { snapshotIds: [...sources.keys()] })).rejects.toMatchObject(refusal('forget'));
  await expect(repairIndex(replica)).rejects.toMatchObject(refusal('repair index'));
  await expect(repairSnapshots(replica)).rejects.toMatchObject(refusal('repair snapshots'));
  await expect(backup(replica, { source: historySource(5), type: 'full', threads: 0 })).rejects.toMatchObject(refusal('backup'));
  // The primary itself is no replica.
  await expect(forget(primary, { snapshotIds: [...sources.keys()], dryRun: true })).resolves.toMatchObject({ removed: 1 });

  expect(await listLocks(replica)).toEqual({ locks: [], unreadable: [] });
  const forced = await unlock(replica, { force: true });
  expect(forced).toMatchObject({ removedCount: 0 });
  await expect(replica.storage.stat({ type: 'locks', name: replicaStateName(primary.config.id) })).resolves.toBeDefined();
  expect(await readReplicaState(replica)).toMatchObject({ id: primary.config.id, primaryLocation: primary.storage.location });
  await expectIntact(replica, sources);
});
