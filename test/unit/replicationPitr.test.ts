// Point-in-time recovery on a replica (core/replication.ts): a pass copies journal segments (after
// every index file, like snapshots) and archived WAL byte for byte, so the replica restores to a
// time as the primary does; their deletions on the primary reach the replica after the grace; an
// archived WAL file, named after its cluster and not its content, is checked by opening it.

import fs from 'node:fs';
import path from 'node:path';
import { writeJournalSegment } from '../../core/journal';
import { restoreAt } from '../../core/journalRestore';
import { compareReplica } from '../../core/replicaCompare';
import { contentMismatch, storedNameMismatch } from '../../core/replicaContent';
import { readReplicaState } from '../../core/replicaState';
import { PassOptions, replicatePass } from '../../core/replication';
import { listSnapshots } from '../../core/snapshots';
import { listWal, pushWal } from '../../core/walArchive';
import { pruneWal } from '../../core/walChain';
import { RecordingStorage } from '../helpers/recordingStorage';
import { primaryWithReplica } from '../helpers/replicas';
import { describeTree, pseudoRandomBytes, tempDir } from '../helpers/trees';

const T = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const at = (ms: number): PassOptions => ({ replicaName: 'r1', graceHours: 1, now: () => new Date(ms) });
const WAL = ['000000010000000000000001', '000000010000000000000002'];

/** A primary with one snapshot, a journal segment after it and two archived WAL files, and its empty replica. */
async function primaryWithPitr() {
  const setup = await primaryWithReplica(1);
  const [source] = [...setup.sources.values()];
  const [snapshot] = await listSnapshots(setup.primary);
  fs.writeFileSync(path.join(source!, 'after-snapshot.bin'), pseudoRandomBytes(300_000, 77));
  fs.rmSync(path.join(source!, 'round-0.bin'));
  const from = new Date(Date.parse(snapshot!.time));
  const until = new Date(from.getTime() + 60_000);
  const { segment } = await writeJournalSegment(setup.primary, { source: source!, host: snapshot!.host, changed: ['after-snapshot.bin'], deleted: ['round-0.bin'], from, until, threads: 0 });
  for (const [i, walName] of WAL.entries()) await pushWal(setup.primary, { cluster: 'main', walName, bytes: pseudoRandomBytes(64 * 1024, i) });
  return { ...setup, source: source!, host: snapshot!.host, segment: segment.id, until };
}

const folder = async (storage: { list: (t: 'journal' | 'wal') => AsyncIterable<{ name: string }> }, type: 'journal' | 'wal') => {
  const names: string[] = [];
  for await (const entry of storage.list(type)) names.push(entry.name);
  return names.sort();
};

it('copies journal segments after every index file and WAL byte for byte: the replica restores to a time as the primary does', async () => {
  const { primary, openReplica, source, host, segment, until } = await primaryWithPitr();
  let recording!: RecordingStorage;
  const replica = await openReplica((plain) => (recording = new RecordingStorage(plain)));
  recording.calls.length = 0;

  const result = await replicatePass(primary, replica, at(T));
  expect(result.copied.byType).toMatchObject({ journal: 1, wal: 2 });
  expect(result.behind).toEqual({ snapshots: 0, files: 0, bytes: 0 });
  const order = recording.calls.filter((c) => c.op === 'put' && c.type !== 'locks').map((c) => c.type);
  expect(order.lastIndexOf('index')).toBeLessThan(order.indexOf('journal'));
  expect(order.lastIndexOf('data')).toBeLessThan(order.indexOf('journal'));
  for (const h of [{ type: 'journal' as const, name: segment }, ...WAL.map((w) => ({ type: 'wal' as const, name: `main.${w}` }))]) {
    expect(Buffer.from(await replica.storage.get(h)).equals(Buffer.from(await primary.storage.get(h)))).toBe(true);
  }
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0 });

  const fromPrimary = tempDir('pitr-primary');
  const fromReplica = tempDir('pitr-replica');
  await restoreAt(primary, { source, host, at: until, target: fromPrimary });
  expect(await restoreAt(replica, { source, host, at: until, target: fromReplica })).toMatchObject({ segments: 1 });
  expect(describeTree(fromReplica)).toEqual(describeTree(fromPrimary));
  expect(fs.existsSync(path.join(fromReplica, 'after-snapshot.bin'))).toBe(true);
  expect(fs.existsSync(path.join(fromReplica, 'round-0.bin'))).toBe(false);
});

it('the sync barrier\'s kinds copy no journal or WAL', async () => {
  const { primary, openReplica } = await primaryWithPitr();
  const replica = await openReplica();
  const result = await replicatePass(primary, replica, { ...at(T), kinds: ['keys', 'data', 'index'] });
  expect(result.copied.byType).toMatchObject({ journal: 0, wal: 0, snapshots: 0 });
  expect(await folder(replica.storage, 'journal')).toEqual([]);
  expect(await folder(replica.storage, 'wal')).toEqual([]);
});

it('journal segments and WAL deleted on the primary (storage delete, WAL retention) go from the replica once their grace ends', async () => {
  const { primary, openReplica, segment } = await primaryWithPitr();
  const replica = await openReplica();
  await replicatePass(primary, replica, at(T));
  await primary.storage.delete({ type: 'journal', name: segment });
  expect(await pruneWal(primary, 'main', [WAL[1]!], {})).toMatchObject({ deletedCount: 1 });

  const seen = await replicatePass(primary, replica, at(T + HOUR));
  expect(seen).toMatchObject({ deleted: { files: 0 }, pending: { files: 2 } });
  // The tombstones survive the state document's round trip, the WAL one with its non-hash name.
  expect((await readReplicaState(replica))!.pending.map((t) => `${t.type}/${t.name}`).sort()).toEqual([`journal/${segment}`, `wal/main.${WAL[0]}`]);
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0, pendingDeletion: 2 });

  expect(await replicatePass(primary, replica, at(T + 2 * HOUR))).toMatchObject({ deleted: { files: 2 }, pending: { files: 0 } });
  expect(await folder(replica.storage, 'journal')).toEqual([]);
  expect((await listWal(replica, 'main')).map((w) => w.walName)).toEqual([WAL[1]]);
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0, pendingDeletion: 0 });
});

it('checks a WAL file by opening it, not by its name, and does not copy one that does not open', async () => {
  const { primary, primaryDir, openReplica } = await primaryWithPitr();
  const name = `main.${WAL[0]}`;
  const stored = await primary.storage.get({ type: 'wal', name });
  expect(storedNameMismatch(name, stored)).toBeDefined();
  expect(contentMismatch(primary, { type: 'wal', name }, stored)).toBeUndefined();

  const damaged = Buffer.from(stored);
  damaged[damaged.length - 1]! ^= 0xff;
  const file = fs.readdirSync(path.join(primaryDir, 'wal'), { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name === name)!;
  fs.writeFileSync(path.join(file.parentPath, file.name), damaged);
  expect(contentMismatch(primary, { type: 'wal', name }, damaged)).toBe('it cannot be opened');
  const replica = await openReplica();
  await expect(replicatePass(primary, replica, at(T))).rejects.toThrow(/1 file\(s\) of the primary .* wal main\.0000000: it cannot be opened/);
  expect(await folder(replica.storage, 'wal')).toEqual([`main.${WAL[1]}`]);
});
