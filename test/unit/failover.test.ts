// The failover mechanics of core/failover.ts on real local repositories: a forced failover
// (promote) then the failed primary's return (resync) loses no snapshot, even one written on the
// old primary and never replicated; the graceful switch; each step idempotent; the pass guard
// refuses a stale pass to a promoted member and a pass from a demoted one.

import { setTimeout } from 'node:timers/promises';
import { backup } from '../../core/archiver';
import { promote, resync, switchOver } from '../../core/failover';
import { acquireLock, listLocks } from '../../core/locks';
import { initReplica } from '../../core/replicaInit';
import { readReplicaState } from '../../core/replicaState';
import { replicatePass } from '../../core/replication';
import { Repository } from '../../core/repository';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import type { Handle } from '../../storage/storage';
import { expectIntact, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { primaryWithReplica } from '../helpers/replicas';
import { eventually } from '../helpers/polling';
import { tempDir } from '../helpers/trees';

const PASS = { replicaName: 'r', graceHours: 24 };

async function backupRound(repo: Repository, sources: Map<string, string>, round: number): Promise<string> {
  const source = historySource(round);
  const { snapshotId } = await backup(repo, { source, type: 'incremental', threads: 0 });
  sources.set(snapshotId, source);
  return snapshotId;
}

it('a forced failover then the old primary’s resync keeps every snapshot, the unreplicated one too, and each step is idempotent', async () => {
  const { primary: old, sources, openReplica } = await primaryWithReplica(1);
  const next = await openReplica();
  await replicatePass(old, next, PASS);
  const unreplicated = await backupRound(old, sources, 1); // written just before the region failed

  expect(await promote(next)).toBe(true);
  expect(await promote(next)).toBe(false);
  expect(await readReplicaState(next)).toBeUndefined();
  await backupRound(next, sources, 2); // the active one takes backups
  // A stale pass from the failed primary would tombstone what the active one wrote: refused.
  await expect(replicatePass(old, next, PASS)).rejects.toMatchObject({ code: 'not-a-replica', message: expect.stringContaining('is writable: promoted by failover') });

  const first = await resync(old, next, { graceHours: 24 });
  expect(first.demoted).toBe(true);
  expect(first.pass.copied.byType.snapshots).toBe(1);
  const again = await resync(old, next, { graceHours: 24 });
  expect(again).toMatchObject({ demoted: false, pass: { copied: { files: 0 } } });
  await expect(backup(old, { source: historySource(3), type: 'full', threads: 0 })).rejects.toMatchObject({ code: 'replica-read-only' });
  expect(await next.storage.stat({ type: 'snapshots', name: unreplicated })).toBeDefined();
  await expectIntact(next, sources);

  // The old primary is a replica of the active one now: ordinary passes bring it up to date.
  await replicatePass(next, old, PASS);
  await expectIntact(old, sources);
});

it('a resync whose merge fails leaves the returned primary writable, so no pass to it tombstones what only it holds', async () => {
  const { primary: old, sources, openReplica } = await primaryWithReplica(1);
  let broken = false;
  const next = await openReplica((plain) => new FaultyStorage(plain, {
    beforeChange: async (_op, h) => {
      if (broken && h.type === 'snapshots') throw new Error('the active region’s storage refused the write');
    },
  }));
  await replicatePass(old, next, PASS);
  const unreplicated = await backupRound(old, sources, 1);
  await promote(next);
  broken = true;
  await expect(resync(old, next, { graceHours: 24 })).rejects.toThrow('refused the write');
  expect(await readReplicaState(old)).toBeUndefined();
  await expect(replicatePass(next, old, PASS)).rejects.toMatchObject({ code: 'not-a-replica' });
  broken = false;
  expect(await resync(old, next, { graceHours: 24 })).toMatchObject({ demoted: true, pass: { copied: { byType: { snapshots: 1 } } } });
  expect(await next.storage.stat({ type: 'snapshots', name: unreplicated })).toBeDefined();
});

it('a graceful switch demotes the source after a last pass and promotes the target, once', async () => {
  const { primary: from, sources, openReplica } = await primaryWithReplica(1);
  const to = await openReplica();
  await replicatePass(from, to, PASS);
  await backupRound(from, sources, 1);

  expect(await switchOver(from, to, { graceHours: 24 })).toMatchObject({ switched: true, pass: { copied: { byType: { snapshots: 1 } } } });
  expect(await switchOver(from, to, { graceHours: 24 })).toEqual({ switched: false });
  expect(await readReplicaState(to)).toBeUndefined();
  expect(await readReplicaState(from)).toMatchObject({ id: from.config.id });
  await expectIntact(to, sources);
  await backupRound(to, sources, 2);
  await expect(backup(from, { source: historySource(3), type: 'full', threads: 0 })).rejects.toMatchObject({ code: 'replica-read-only' });

  // A pass from the demoted member to another replica of the set is refused: it is no primary now.
  const third = await Repository.open(await initThird(to), HISTORY_PASSPHRASE);
  await expect(replicatePass(from, third, PASS)).rejects.toMatchObject({ code: 'replica-read-only' });
  await replicatePass(to, third, PASS);
  await expectIntact(third, sources);
});

it('a switch that cannot finish leaves the source writable and the target a replica; a retry switches', async () => {
  const { primary: from, openReplica } = await primaryWithReplica(1);
  const to = await openReplica();
  const pass = await acquireLock(to, { operation: 'replicate', exclusive: true, workflowId: 'replication:gis' });
  await expect(switchOver(from, to, { graceHours: 24 })).rejects.toMatchObject({ code: 'locked' });
  expect(await readReplicaState(from)).toBeUndefined();
  expect(await readReplicaState(to)).toBeDefined();
  await pass.release();
  expect(await switchOver(from, to, { graceHours: 24 })).toMatchObject({ switched: true });
});

it('promote waits for a pass that holds the replica and promotes soon after it ends', async () => {
  const { primary, openReplica } = await primaryWithReplica(1);
  const replica = await openReplica();
  const pass = await acquireLock(replica, { operation: 'replicate', exclusive: true, workflowId: 'replication:gis' });
  const promoting = promote(replica);
  try {
    // Proving an absence takes a wait: a promotion that did not wait would be done meanwhile.
    expect(await Promise.race([promoting.then(() => 'finished'), setTimeout(1_500, 'waiting')])).toBe('waiting');
    expect(await readReplicaState(replica)).toMatchObject({ id: primary.config.id });
  } finally {
    await pass.release();
  }
  const released = performance.now();
  expect(await promoting).toBe(true);
  // Within a few looks at the lock (every 250 ms), not at the activity's next retry (1 s and more).
  expect(performance.now() - released).toBeLessThan(1_000);
  expect(await readReplicaState(replica)).toBeUndefined();
});

it('a promotion that waited its bound fails locked (the activity retries), the replica unchanged', async () => {
  const { primary, openReplica } = await primaryWithReplica(1);
  const replica = await openReplica();
  const pass = await acquireLock(replica, { operation: 'replicate', exclusive: true, workflowId: 'replication:gis' });
  try {
    await expect(promote(replica, { waitMs: 600 })).rejects.toMatchObject({ code: 'locked' });
    expect(await readReplicaState(replica)).toMatchObject({ id: primary.config.id });
  } finally {
    await pass.release();
  }
  expect(await promote(replica)).toBe(true);
});

it('a resync waits for a backup still running on the returned primary, and merges the snapshot it commits', async () => {
  const lockTimings = { refreshMs: 1_000, staleMs: 10_000 };
  const { primary: old, primaryDir, sources, openReplica } = await primaryWithReplica(1);
  const next = await openReplica();
  await replicatePass(old, next, PASS);
  await promote(next);

  // A backup that began before the region failed: its snapshot's put waits for the gate.
  const gated = new GatedStorage(primaryDir);
  const writer = await Repository.open(gated, HISTORY_PASSPHRASE);
  const lock = await acquireLock(writer, { operation: 'backup', workflowId: 'backup:late', timings: lockTimings });
  const backingUp = backupRound(writer, sources, 1);
  await gated.reached;

  const resyncing = resync(old, next, { graceHours: 24, lockTimings });
  await eventually('the resync holding the old primary', async () => (await listLocks(old)).locks.some((l) => l.operation === 'resync') || undefined, 10_000, 20);
  // Proving an absence takes a wait: a resync that did not wait would finish its merge meanwhile.
  expect(await Promise.race([resyncing.then(() => 'finished'), setTimeout(1_500, 'waiting')])).toBe('waiting');
  gated.open();
  const late = await backingUp;
  await lock.release();
  expect(await resyncing).toMatchObject({ demoted: true });
  expect(await next.storage.stat({ type: 'snapshots', name: late })).toBeDefined();
  await expectIntact(next, sources);
});

/** A local storage whose snapshot puts wait until `open()`. */
class GatedStorage extends LocalStorage {
  readonly reached: Promise<void>;
  private arrive!: () => void;
  private release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  constructor(dir: string) {
    super(dir);
    this.reached = new Promise((resolve) => (this.arrive = resolve));
  }

  open(): void {
    this.release();
  }

  override async put(h: Handle, data: Uint8Array): Promise<void> {
    if (h.type === 'snapshots') {
      this.arrive();
      await this.gate;
    }
    return super.put(h, data);
  }
}

async function initThird(primary: Repository): Promise<LocalStorage> {
  const storage = new LocalStorage(tempDir('failover-third'));
  await initReplica(primary, storage);
  return storage;
}
