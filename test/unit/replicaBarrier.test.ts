// The sync and quorum barrier of a backup (core/replicaBarrier.ts) with the real catch-up pass:
// a replica that refuses every call is waited for with a reason naming it while no repository
// lists the snapshot; once it answers, the backup commits everywhere; if it never does, the backup
// fails with replica-unavailable and no repository got the snapshot. Quorum commits on the primary
// and K − 1 replicas and names the laggard. (The barrier against a prune: replicaBarrierPrune.test.ts.)

import { backup } from '../../core/archiver';
import { RepositoryError } from '../../core/errors';
import { listSnapshots } from '../../core/snapshots';
import { restore } from '../../core/restorer';
import { Repository } from '../../core/repository';
import { MemoryStorage } from '../../storage/memory';
import { HISTORY_INIT, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { eventually } from '../helpers/polling';
import { backupWith, barrierOver, expectWhole, replicasOf, snapshotNames } from '../helpers/replicaBarriers';
import { expectSameTree, tempDir } from '../helpers/trees';

async function primaryRepository(): Promise<Repository> {
  return Repository.init(new MemoryStorage(), HISTORY_PASSPHRASE, HISTORY_INIT);
}

describe('sync', () => {
  it('waits for a refusing replica, naming it, with no snapshot anywhere; once it answers, all three list the snapshot', async () => {
    const primary = await primaryRepository();
    const replicas = await replicasOf(primary, 2);
    replicas[1]!.goDown();
    const barrier = barrierOver(primary, replicas, { mode: 'sync', timeoutMs: 60_000 });
    const source = historySource(0);
    const { running, waiting } = backupWith(primary, barrier, source);

    await eventually('a waiting reason naming r2', () => waiting.some((w) => w.includes('r2 (region-2): [storage:faulty] injected failure')) || undefined, 20_000, 10);
    const reason = waiting[waiting.length - 1]!;
    expect(reason).toMatch(/^waiting for replica r2 \(region-2\): .*\(2 of 3 hold the data; sync needs 3\) since \d\d:\d\d:\d\dZ, giving up at \d\d:\d\d:\d\dZ$/);
    expect(reason).not.toContain('r1');
    expect(await snapshotNames(primary.storage)).toEqual([]);
    for (const r of replicas) expect(await snapshotNames(r.plain)).toEqual([]);

    replicas[1]!.comeBack();
    const result = await running;
    expect(await snapshotNames(primary.storage)).toEqual([result.snapshotId]);
    for (const r of replicas) expect(await snapshotNames(r.plain)).toEqual([result.snapshotId]);
    expect(barrier.outcome()).toMatchObject({ heldBy: ['r1', 'r2'], lagging: [] });
    for (const r of replicas) {
      const replica = await r.open();
      await expectWhole(replica);
      const target = tempDir('barrier-restore');
      await restore(replica, result.snapshotId, { target, threads: 0 });
      expectSameTree(source, target);
    }
    await barrier.close();
  });

  it('gives up after the timeout with replica-unavailable naming the replica, and no repository got the snapshot', async () => {
    const primary = await primaryRepository();
    const replicas = await replicasOf(primary, 2);
    replicas[1]!.goDown();
    const barrier = barrierOver(primary, replicas, { mode: 'sync', timeoutMs: 300 });
    const { running } = backupWith(primary, barrier, historySource(0));

    const err = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RepositoryError);
    expect((err as RepositoryError).code).toBe('replica-unavailable');
    expect((err as RepositoryError).message).toMatch(/set test: gave up after 300 ms waiting for replica r2 \(region-2\): .*injected failure.*\(2 of 3 hold the data; sync needs 3\); no repository got the snapshot/);
    expect(await snapshotNames(primary.storage)).toEqual([]);
    for (const r of replicas) expect(await snapshotNames(r.plain)).toEqual([]);
    expect(barrier.outcome()).toMatchObject({ heldBy: ['r1'], lagging: ['r2'] });
    await barrier.close();
  });

  it('withdraws the snapshot from the replicas when the commit on the primary fails', async () => {
    const primary = await primaryRepository();
    const replicas = await replicasOf(primary, 2);
    const barrier = barrierOver(primary, replicas, { mode: 'sync', timeoutMs: 60_000 });
    const lost = new Error('lock lost');
    let confirmations = 0;
    const err = await backup(primary, {
      source: historySource(0),
      type: 'full',
      threads: 0,
      replicas: barrier,
      commit: {
        beforeCommit: async () => {
          confirmations += 1;
          // The lock is confirmed before the replicas get the snapshot, and again before the primary does.
          const expected = confirmations === 1 ? 0 : 1;
          for (const r of replicas) expect(await snapshotNames(r.plain)).toHaveLength(expected);
          if (confirmations === 2) throw lost;
        },
        committed: () => undefined,
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(lost);
    expect(confirmations).toBe(2);
    expect(await listSnapshots(primary)).toEqual([]);
    for (const r of replicas) expect(await snapshotNames(r.plain)).toEqual([]);
    await barrier.close();
  });
});

describe('quorum', () => {
  it('2 of 3 with one replica down commits on the primary and the other replica, and names the lagging one', async () => {
    const primary = await primaryRepository();
    const replicas = await replicasOf(primary, 2);
    replicas[0]!.goDown();
    const barrier = barrierOver(primary, replicas, { mode: 'quorum', quorum: 2, timeoutMs: 60_000 });
    const { running } = backupWith(primary, barrier, historySource(0));

    const result = await running;
    expect(await snapshotNames(primary.storage)).toEqual([result.snapshotId]);
    expect(await snapshotNames(replicas[1]!.plain)).toEqual([result.snapshotId]);
    expect(await snapshotNames(replicas[0]!.plain)).toEqual([]);
    expect(barrier.outcome()).toMatchObject({ heldBy: ['r2'], lagging: ['r1'] });
    await expectWhole(await replicas[1]!.open());
    await barrier.close();
  });

  it('does not wait for a replica whose storage hangs: quorum commits without it, sync gives up at the timeout', async () => {
    const primary = await primaryRepository();
    const replicas = await replicasOf(primary, 2);
    replicas[0]!.hang();
    const quorum = barrierOver(primary, replicas, { mode: 'quorum', quorum: 2, timeoutMs: 60_000 });
    const first = await backupWith(primary, quorum, historySource(0)).running;
    expect(quorum.outcome()).toMatchObject({ heldBy: ['r2'], lagging: ['r1'] });
    expect(await snapshotNames(replicas[1]!.plain)).toEqual([first.snapshotId]);

    const sync = barrierOver(primary, replicas, { mode: 'sync', timeoutMs: 300 });
    await expect(backupWith(primary, sync, historySource(1)).running).rejects.toMatchObject({ code: 'replica-unavailable', message: expect.stringContaining('r1 (region-1): copying') });
    expect(await snapshotNames(primary.storage)).toEqual([first.snapshotId]);
    await Promise.all([quorum.close(), sync.close()]);
  });

  it('2 of 3 with both replicas down gives up after the timeout, with no snapshot anywhere', async () => {
    const primary = await primaryRepository();
    const replicas = await replicasOf(primary, 2);
    for (const r of replicas) r.goDown();
    const barrier = barrierOver(primary, replicas, { mode: 'quorum', quorum: 2, timeoutMs: 300 });
    const { running, waiting } = backupWith(primary, barrier, historySource(0));

    await expect(running).rejects.toMatchObject({ code: 'replica-unavailable', message: expect.stringContaining('(1 of 3 hold the data; quorum needs 2)') });
    expect(waiting.some((w) => w.startsWith('waiting for replicas r1 (region-1): ') && w.includes('; r2 (region-2): '))).toBe(true);
    expect(await snapshotNames(primary.storage)).toEqual([]);
    for (const r of replicas) expect(await snapshotNames(r.plain)).toEqual([]);
    await barrier.close();
  });
});
