// A sync backup's barrier against a prune on the primary (core/replicaBarrier.ts, core/pruneWatch.ts):
// a plan marked while the backup waits for a replica waits for the backup's lock, and the barrier
// does not wait for it (no deadlock); a plan the backup saw at its start sweeps while it waits, and
// the barrier then copies what the primary holds after the sweep. Either way the primary and the
// replica verify clean and the new snapshot restores from the replica.

import { acquireLock } from '../../core/locks';
import { prune, PrunePhase } from '../../core/prune';
import { restore } from '../../core/restorer';
import { MemoryStorage } from '../../storage/memory';
import { buildHistory, expectIntact, forgetSnapshots, historySource } from '../helpers/pruneHistory';
import { eventually } from '../helpers/polling';
import { backupWith, barrierOver, expectWhole, replicasOf, snapshotNames, TestReplica } from '../helpers/replicaBarriers';
import { expectSameTree, tempDir } from '../helpers/trees';

/** A primary whose first snapshot is forgotten (the next prune condemns its packs), with one replica, down. */
async function prunablePrimaryWithReplicaDown() {
  const { repo: primary, sources } = await buildHistory(new MemoryStorage(), 3);
  const [forgotten, ...keptIds] = [...sources.keys()];
  await forgetSnapshots(primary, [forgotten!]);
  const replicas = await replicasOf(primary, 1);
  replicas[0]!.goDown();
  return { primary, replicas, kept: new Map(keptIds.map((id) => [id, sources.get(id)!])) };
}

function pruneRecordingPhases(primary: Parameters<typeof prune>[0]) {
  const phases: PrunePhase[] = [];
  let done = false;
  const pruned = prune(primary, { maxUnusedPercent: 0, onProgress: (phase) => phases.push(phase) }).finally(() => (done = true));
  return { pruned, phases, done: () => done };
}

async function expectReplicaHolds(replica: TestReplica, snapshotId: string, source: string) {
  const repo = await replica.open();
  await expectWhole(repo);
  const target = tempDir('barrier-prune-restore');
  await restore(repo, snapshotId, { target, threads: 0 });
  expectSameTree(source, target);
}

it('a prune marked while the backup waits for a replica waits for the backup; the barrier does not wait for the prune', async () => {
  const { primary, replicas, kept } = await prunablePrimaryWithReplicaDown();
  const barrier = barrierOver(primary, replicas, { mode: 'sync', timeoutMs: 30_000 });
  const lock = await acquireLock(primary, { operation: 'backup' }); // what the activity holds
  const source = historySource(3);
  const { running, waiting } = backupWith(primary, barrier, source);
  await eventually('a waiting reason with the injected failure', () => waiting.some((w) => w.includes('injected failure')) || undefined, 20_000, 10);

  const pruning = pruneRecordingPhases(primary);
  await eventually('the prune waiting for our lock', () => pruning.phases.includes('wait') || undefined, 20_000, 10); // its plan is marked; it waits for our lock
  replicas[0]!.comeBack();
  const committed = await running; // a barrier waiting for the plan would end in replica-unavailable
  expect(pruning.done()).toBe(false);
  expect(await snapshotNames(replicas[0]!.plain)).toEqual([committed.snapshotId]);

  await lock.release();
  const result = await pruning.pruned;
  expect(result.locksWaitedFor).toBe(1);
  expect(result.packs.deleted + result.packs.repacked).toBeGreaterThan(0);
  await expectIntact(primary, new Map([...kept, [committed.snapshotId, source]]));
  await expectReplicaHolds(replicas[0]!, committed.snapshotId, source);
  await barrier.close();
});

it('a prune the backup saw at its start sweeps while the backup waits; the barrier then copies what is left and commits', async () => {
  const { primary, replicas, kept } = await prunablePrimaryWithReplicaDown();
  const holder = await acquireLock(primary, { operation: 'restore' }); // holds the prune in its wait
  const pruning = pruneRecordingPhases(primary);
  await eventually('the prune waiting for our lock', () => pruning.phases.includes('wait') || undefined, 20_000, 10);

  const barrier = barrierOver(primary, replicas, { mode: 'sync', timeoutMs: 30_000 });
  const lock = await acquireLock(primary, { operation: 'backup' });
  const source = historySource(3);
  const { running, waiting } = backupWith(primary, barrier, source);
  await eventually('a waiting reason with the injected failure', () => waiting.some((w) => w.includes('injected failure')) || undefined, 20_000, 10);
  await holder.release();
  const result = await pruning.pruned; // did not wait for the backup, which started after its plan
  expect(result.locksWaitedFor).toBe(1);
  expect(result.packs.deleted + result.packs.repacked).toBeGreaterThan(0);

  replicas[0]!.comeBack();
  const committed = await running;
  await lock.release();
  await expectIntact(primary, new Map([...kept, [committed.snapshotId, source]]));
  await expectReplicaHolds(replicas[0]!, committed.snapshotId, source);
  await barrier.close();
});
