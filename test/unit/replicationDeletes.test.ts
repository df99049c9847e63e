// Deletions reach a replica only after their grace (core/replicaDeletes.ts), on real repositories
// on disk with an injected clock: after forget + prune on the primary, the replica keeps every
// file (and restores the forgotten snapshot) until the grace ends, then deletes them in the order
// snapshots → index → packs and compares equal; a live lock on the replica (a restore from it)
// holds deletions back; a file back on the primary loses its tombstone; a key revoked on the
// primary goes at once.

import { acquireLock } from '../../core/locks';
import { prune } from '../../core/prune';
import { compareReplica } from '../../core/replicaCompare';
import { readReplicaState } from '../../core/replicaState';
import { PassOptions, replicatePass } from '../../core/replication';
import { Repository } from '../../core/repository';
import { expectIntact, forgetSnapshots } from '../helpers/pruneHistory';
import { RecordingStorage } from '../helpers/recordingStorage';
import { primaryWithReplica } from '../helpers/replicas';

const T = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const at = (ms: number): PassOptions => ({ replicaName: 'r1', graceHours: 1, now: () => new Date(ms) });

/** A replica in sync with a primary that has since forgotten its first snapshot and been pruned. */
async function prunedAfterReplication() {
  const setup = await primaryWithReplica();
  let recording!: RecordingStorage;
  const replica = await setup.openReplica((plain) => (recording = new RecordingStorage(plain)));
  await replicatePass(setup.primary, replica, at(T - HOUR));
  const [forgotten, ...kept] = [...setup.sources.keys()];
  await forgetSnapshots(setup.primary, [forgotten!]);
  const pruned = await prune(setup.primary, { maxUnusedPercent: 0 });
  expect(pruned.packs.deleted + pruned.packs.repacked).toBeGreaterThan(0);
  const kepts = new Map(kept.map((id) => [id, setup.sources.get(id)!]));
  return { ...setup, replica, recording, kept: kepts };
}

it('keeps what the primary deleted until the grace ends, then deletes snapshots, index, packs in that order', async () => {
  const { primary, replica, recording, sources, kept } = await prunedAfterReplication();
  const seen = await replicatePass(primary, replica, at(T));
  expect(seen).toMatchObject({ kind: 'full', deleted: { files: 0 }, pending: { nextDueAt: new Date(T + HOUR).toISOString() } });
  const tombstones = (await readReplicaState(replica))!.pending;
  expect(new Set(tombstones.map((t) => t.type))).toEqual(new Set(['snapshots', 'index', 'data']));
  expect(seen.pending.files).toBe(tombstones.length);
  // Within the grace the replica still restores the forgotten snapshot, and that is no difference.
  await expectIntact(replica, sources);
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0, pendingDeletion: tombstones.length });

  expect(await replicatePass(primary, replica, at(T + HOUR - 1000))).toMatchObject({ deleted: { files: 0 }, pending: { files: tombstones.length } });
  recording.calls.length = 0;
  const due = await replicatePass(primary, replica, at(T + HOUR));
  expect(due).toMatchObject({ deleted: { files: tombstones.length, bytes: tombstones.reduce((s, t) => s + t.size, 0) }, pending: { files: 0, bytes: 0 } });
  const deletes = recording.calls.filter((c) => c.op === 'delete' && c.type !== 'locks').map((c) => c.type);
  expect(deletes).toEqual([...deletes].sort((a, b) => ['snapshots', 'index', 'data'].indexOf(a) - ['snapshots', 'index', 'data'].indexOf(b)));
  expect(deletes).toHaveLength(tombstones.length);
  expect(await compareReplica(primary, replica, 'r1')).toEqual({ replica: 'r1', configMatches: true, differences: 0, missing: [], extra: [], sizeMismatch: [], pendingDeletion: 0 });
  await expectIntact(replica, kept);
});

it('another live lock on the replica (a restore from it) holds deletions back', async () => {
  const { primary, replica } = await prunedAfterReplication();
  const first = await replicatePass(primary, replica, at(T));
  const restoring = await acquireLock(replica, { operation: 'restore' });
  expect(await replicatePass(primary, replica, at(T + 2 * HOUR))).toMatchObject({ deleted: { files: 0 }, pending: { files: first.pending.files } });
  await restoring.release();
  expect(await replicatePass(primary, replica, at(T + 2 * HOUR))).toMatchObject({ deleted: { files: first.pending.files }, pending: { files: 0 } });
});

it('a file back on the primary loses its tombstone and is never deleted', async () => {
  const { primary, sources, openReplica } = await primaryWithReplica(2);
  const replica = await openReplica();
  await replicatePass(primary, replica, at(T));
  const [id] = [...sources.keys()];
  const bytes = await primary.storage.get({ type: 'snapshots', name: id! });
  await primary.storage.delete({ type: 'snapshots', name: id! });
  expect(await replicatePass(primary, replica, at(T + HOUR))).toMatchObject({ pending: { files: 1 } });
  await primary.storage.put({ type: 'snapshots', name: id! }, bytes);
  expect(await replicatePass(primary, replica, at(T + 3 * HOUR))).toMatchObject({ deleted: { files: 0 }, pending: { files: 0 } });
  expect((await readReplicaState(replica))!.pending).toEqual([]);
  await expectIntact(replica, sources);
});

it('a key revoked on the primary is removed from the replica at once; an added one is copied first', async () => {
  const { primary, openReplica } = await primaryWithReplica(1);
  const replica = await openReplica();
  const added = await primary.addKey('second passphrase');
  const copied = await replicatePass(primary, replica, at(T));
  expect(copied.copied.byType.keys).toBe(1);
  await expect(Repository.open(replica.storage, 'second passphrase')).resolves.toBeInstanceOf(Repository);
  const second = await Repository.open(primary.storage, 'second passphrase');
  const firstKey = (await primary.listKeys()).find((k) => k.id !== added.id)!;
  await second.removeKey(firstKey.id);
  expect(await replicatePass(second, replica, at(T + 1000))).toMatchObject({ deleted: { files: 1 }, pending: { files: 0 } });
  expect((await replica.listKeys()).map((k) => k.id)).toEqual([added.id]);
});

it('a revoked key stays on the replica until every key of the primary is there (never leaving it unopenable)', async () => {
  const { primary, openReplica } = await primaryWithReplica(1);
  const replica = await openReplica();
  const [old] = await primary.listKeys();
  const added = await primary.addKey('second passphrase');
  const second = await Repository.open(primary.storage, 'second passphrase');
  await second.removeKey(old!.id);
  const stopped = await replicatePass(second, replica, { ...at(T), maxDurationMs: 0 });
  expect(stopped).toMatchObject({ partial: true, deleted: { files: 0 } });
  expect((await replica.listKeys()).map((k) => k.id)).toEqual([old!.id]);
  expect(await replicatePass(second, replica, at(T))).toMatchObject({ copied: { byType: { keys: 1 } }, deleted: { files: 1 } });
  expect((await replica.listKeys()).map((k) => k.id)).toEqual([added.id]);
});
