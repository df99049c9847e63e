// core/replication.ts on real repositories on disk: a pass copies a primary to its replica so
// that every snapshot restores byte-identical from the replica and a comparison finds nothing,
// in the order keys → packs → index → snapshots (every index file after the packs it names, every
// snapshot after every index file), sending no file twice; a second pass copies nothing.

import { compareReplica } from '../../core/replicaCompare';
import { replicatePass } from '../../core/replication';
import { IndexFileSchema } from '../../core/masterIndex';
import { listFolder } from '../../core/replicaPlan';
import { expectIntact } from '../helpers/pruneHistory';
import { RecordingStorage } from '../helpers/recordingStorage';
import { primaryWithReplica } from '../helpers/replicas';

it('copies everything, in order, once: the replica restores byte-identical and compares equal', async () => {
  const { primary, sources, openReplica } = await primaryWithReplica();
  let recording!: RecordingStorage;
  const replica = await openReplica((plain) => (recording = new RecordingStorage(plain)));
  recording.calls.length = 0;

  const result = await replicatePass(primary, replica, { replicaName: 'r1', graceHours: 24 });

  expect(result).toMatchObject({ replica: 'r1', kind: 'full', skippedPresent: 0, deleted: { files: 0 }, behind: { snapshots: 0, files: 0, bytes: 0 } });
  expect(result.deferred).toBeUndefined();
  expect(result.partial).toBeUndefined();
  const puts = recording.calls.filter((c) => c.op === 'put' && c.type !== 'locks');
  const order = puts.map((c) => c.type);
  const firstOf = (t: string) => order.indexOf(t as never);
  const lastOf = (t: string) => order.lastIndexOf(t as never);
  expect(lastOf('data')).toBeLessThan(firstOf('index'));
  expect(lastOf('index')).toBeLessThan(firstOf('snapshots'));
  // Each index file after every pack it names (checked against the index files' own contents).
  for (const [at, call] of puts.entries()) {
    if (call.type !== 'index') continue;
    const file = await primary.loadJsonFile('index', call.name, IndexFileSchema);
    for (const pack of file.packs) expect(puts.findIndex((c) => c.type === 'data' && c.name === pack.id)).toBeLessThan(at);
  }
  expect(new Set(puts.map((c) => `${c.type}/${c.name}`)).size).toBe(puts.length);
  expect(result.copied.files).toBe(puts.length);
  expect(result.copied.byType.snapshots).toBe(sources.size);

  await expectIntact(replica, sources);
  const diff = await compareReplica(primary, replica, 'r1');
  expect(diff).toEqual({ replica: 'r1', configMatches: true, differences: 0, missing: [], extra: [], sizeMismatch: [], pendingDeletion: 0 });

  recording.calls.length = 0;
  const again = await replicatePass(primary, replica, { replicaName: 'r1', graceHours: 24 });
  expect(again).toMatchObject({ kind: 'incremental', copied: { files: 0, bytes: 0 } });
  expect(recording.calls.filter((c) => c.op === 'put' && c.type !== 'locks')).toEqual([]);
});

it('a full pass (asked for, or a day after the last) repairs a pack lost on the replica that incremental passes trust', async () => {
  const { primary, sources, openReplica } = await primaryWithReplica(2);
  const replica = await openReplica();
  const T = Date.parse('2026-11-30T12:00:00Z');
  const at = (ms: number) => ({ replicaName: 'r1', graceHours: 24, now: () => new Date(ms) });
  expect((await replicatePass(primary, replica, at(T))).kind).toBe('full');
  const [lost] = [...(await listFolder(replica.storage, 'data')).values()];
  await replica.storage.delete({ type: 'data', name: lost!.name });

  expect(await replicatePass(primary, replica, at(T + 3_600_000))).toMatchObject({ kind: 'incremental', copied: { files: 0 } });
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 1, missing: [{ type: 'data', name: lost!.name, size: lost!.size }] });
  expect(await replicatePass(primary, replica, { ...at(T + 3_600_000), full: true })).toMatchObject({ kind: 'full', copied: { files: 1, bytes: lost!.size, byType: { data: 1 } } });
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0 });
  expect((await replicatePass(primary, replica, at(T + 25 * 3_600_000))).kind).toBe('full');
  await expectIntact(replica, sources);
});
