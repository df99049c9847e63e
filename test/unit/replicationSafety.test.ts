// core/replication.ts's refusals and interruptions on real repositories on disk: a target that
// holds another repository, or none, is refused naming both (nothing written); a pass killed
// mid-copy is resumed by the next attempt without a file sent twice; a prune in progress on the
// primary defers a pass, and one marked during a pass waits for it; two passes at once never
// interleave; damage on the primary is reported and not copied; a time budget stops at a file
// boundary; the sync barrier's catch-up copies data and index only.

import fs from 'node:fs';
import path from 'node:path';
import { ConcurrentChangeError } from '../../core/errors';
import { backup } from '../../core/archiver';
import { acquireLock } from '../../core/locks';
import { prune } from '../../core/prune';
import { readPrunePlans, savePrunePlan, newPrunePlanId } from '../../core/prunePlan';
import { Repository } from '../../core/repository';
import { compareReplica } from '../../core/replicaCompare';
import { listFolder } from '../../core/replicaPlan';
import { initReplica } from '../../core/replicaInit';
import { readReplicaState } from '../../core/replicaState';
import { replicatePass } from '../../core/replication';
import { listSnapshots } from '../../core/snapshots';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { MemoryStorage } from '../../storage/memory';
import { objectPath } from '../../storage/storage';
import { expectIntact, forgetSnapshots, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { RecordingStorage, StorageCall } from '../helpers/recordingStorage';
import { primaryWithReplica } from '../helpers/replicas';

const PASS = { replicaName: 'r1', graceHours: 24 };

/** Puts of repository files (locks apart) per handle. */
function putCounts(calls: StorageCall[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of calls) if (c.op === 'put' && c.type !== 'locks') counts.set(`${c.type}/${c.name}`, (counts.get(`${c.type}/${c.name}`) ?? 0) + 1);
  return counts;
}

describe('identity', () => {
  it('refuses a replica of another repository, naming both ids, and writes nothing', async () => {
    const { primary } = await primaryWithReplica(1);
    const otherStorage = new RecordingStorage(new MemoryStorage());
    const other = await Repository.init(otherStorage, HISTORY_PASSPHRASE);
    otherStorage.calls.length = 0;
    const refused = replicatePass(primary, other, PASS);
    await expect(refused).rejects.toMatchObject({ code: 'not-a-replica' });
    await expect(refused).rejects.toThrow(new RegExp(`holds repository ${other.config.id}, not ${primary.config.id}`));
    expect(otherStorage.calls.filter((c) => c.op === 'put' || c.op === 'delete')).toEqual([]);
    await expect(initReplica(primary, otherStorage)).rejects.toMatchObject({ code: 'not-a-replica' });
    await expect(compareReplica(primary, other, 'other')).resolves.toMatchObject({ configMatches: false, differences: expect.any(Number) });
  });

  it('refuses a target with no repository (init --replica-of first); init is idempotent', async () => {
    const { primary, replicaDir, openReplica } = await primaryWithReplica(1);
    const replica = await openReplica();
    fs.rmSync(path.join(replicaDir, 'config'));
    const refused = replicatePass(primary, replica, PASS);
    await expect(refused).rejects.toMatchObject({ code: 'not-a-replica' });
    await expect(refused).rejects.toThrow(`run meridian init --replica-of ${primary.storage.location} --repo ${replica.storage.location}`);
    expect(fs.readdirSync(path.join(replicaDir, 'locks'))).toHaveLength(1); // the replica-state document only
    expect(await initReplica(primary, new LocalStorage(replicaDir))).toEqual({ repositoryId: primary.config.id, created: true });
    expect(await initReplica(primary, new LocalStorage(replicaDir))).toEqual({ repositoryId: primary.config.id, created: false });
    expect(await readReplicaState(await openReplica())).toMatchObject({ kind: 'replica-state', id: primary.config.id, pending: [] });
  });
});

it('a pass killed mid-copy is finished by the next attempt, no file sent twice', async () => {
  const { primary, sources, replicaDir } = await primaryWithReplica();
  const recording = new RecordingStorage(new LocalStorage(replicaDir));
  // Changes: 1 is the pass's lock, then packs; the 6th change and all later ones fail.
  const dying = await Repository.open(new FaultyStorage(recording, { dieAtChange: 6 }), HISTORY_PASSPHRASE);
  await expect(replicatePass(primary, dying, { ...PASS, workflowId: 'replication:set', concurrency: 2 })).rejects.toThrow(/killed/);
  const putBefore = [...putCounts(recording.calls).keys()];
  expect(putBefore.length).toBe(4);
  expect(putBefore.every((key) => key.startsWith('data/'))).toBe(true);

  const replica = await Repository.open(recording, HISTORY_PASSPHRASE);
  const result = await replicatePass(primary, replica, { ...PASS, workflowId: 'replication:set' });
  expect(result.deferred).toBeUndefined();
  expect(result.skippedPresent).toBe(4);
  expect([...putCounts(recording.calls).values()].every((n) => n === 1)).toBe(true);
  expect(result.copied.files + 4).toBe(putCounts(recording.calls).size);
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0 });
  await expectIntact(replica, sources);
});

describe('prune on the primary', () => {
  it('a plan marked or sweeping defers the pass, which writes nothing', async () => {
    const { primary, openReplica } = await primaryWithReplica(1);
    let recording!: RecordingStorage;
    const replica = await openReplica((plain) => (recording = new RecordingStorage(plain)));
    const plan = { kind: 'prune-plan' as const, id: newPrunePlanId(), state: 'marked' as const, createdAt: new Date().toISOString(), maxUnusedPercent: 5, snapshotsSeen: [], deletePacks: [], repackPacks: [], writtenPacks: [], unindexedPacks: [], leftovers: [], rescuedPacks: [], rescueDone: false, packsKept: 0, bytesKept: 0, bytesWritten: 0, indexFilesBefore: 0 };
    await savePrunePlan(primary, plan);
    const result = await replicatePass(primary, replica, PASS);
    expect(result.deferred).toBe(`prune ${plan.id.slice(0, 12)} is in progress on the primary`);
    expect(result.copied.files).toBe(0);
    expect(result.behind).toMatchObject({ snapshots: 1 });
    expect(result.behind.bytes).toBeGreaterThan(1_000_000);
    expect(recording.calls.filter((c) => (c.op === 'put' || c.op === 'delete') && c.type !== 'locks')).toEqual([]);
    expect([...recording.calls.filter((c) => c.type === 'locks' && c.op === 'put')].length).toBe(1); // our lock, released again
    await savePrunePlan(primary, { ...plan, state: 'done' });
    expect((await replicatePass(primary, replica, PASS)).copied.byType.snapshots).toBe(1);
  });

  it('a prune marked during a pass waits for the pass before it sweeps', async () => {
    const { primary, sources, openReplica } = await primaryWithReplica();
    const [forgotten, ...kept] = [...sources.keys()];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const holding = new Promise<void>((resolve) => (reached = resolve));
    const held = await openReplica((plain) => new FaultyStorage(plain, {
      beforeChange: async (_op, h) => {
        if (h.type !== 'data') return;
        reached();
        await released;
      },
    }));
    const pass = replicatePass(primary, held, PASS);
    await holding;
    await forgetSnapshots(primary, [forgotten!]);
    const pruning = prune(primary, { maxUnusedPercent: 0 });
    let plan;
    while (!(plan = (await readPrunePlans(primary)).plans[0])) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect((await readPrunePlans(primary)).plans[0]!.state).toBe('marked');
    release();
    await pass;
    const pruned = await pruning;
    expect(pruned.planId).toBe(plan.id);
    expect(pruned.packs.deleted + pruned.packs.repacked).toBeGreaterThan(0);

    const replica = await openReplica();
    const after = await replicatePass(primary, replica, { ...PASS, graceHours: 0 });
    expect(after.kind).toBe('full');
    expect(after.pending.files).toBeGreaterThan(0);
    // The pass listed the forgotten snapshot before forget removed it, and skipped it when it was gone.
    await expectIntact(replica, new Map(kept.map((id) => [id, sources.get(id)!])));
  });
});

describe('two replicators', () => {
  it('another live replication lock on the replica defers the pass', async () => {
    const { primary, openReplica } = await primaryWithReplica(1);
    const replica = await openReplica();
    const other = await acquireLock(replica, { operation: 'replicate', exclusive: true, workflowId: 'replication:elsewhere' });
    const result = await replicatePass(primary, replica, PASS);
    expect(result.deferred).toMatch(/^another replication holds r1: .*replicate on .*workflow replication:elsewhere/);
    expect(result).toMatchObject({ copied: { files: 0 }, behind: { snapshots: 1 } });
    // A comparison meanwhile would see a half-done pass: it is refused, retryably.
    await expect(compareReplica(primary, replica, 'r1')).rejects.toThrow(ConcurrentChangeError);
    await other.release();
    expect((await replicatePass(primary, replica, PASS)).copied.byType.snapshots).toBe(1);
    expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 0 });
  });

  it('two passes at once to one replica never interleave: one defers or waits, the other copies everything', async () => {
    const { primary, sources, openReplica } = await primaryWithReplica(2);
    const log: string[] = [];
    const tagged = (tag: string) => openReplica((plain) => new FaultyStorage(plain, { beforeChange: async (_op, h) => void (h.type !== 'locks' && log.push(tag)) }));
    const [a, b] = [await tagged('a'), await tagged('b')];
    const results = await Promise.all([replicatePass(primary, a, PASS), replicatePass(primary, b, PASS)]);
    expect(log.join('')).toMatch(/^(a+b*|b+a*)$/);
    const [first, second] = log[0] === 'a' ? results : [results[1]!, results[0]!];
    expect(first!.copied.byType.snapshots).toBe(2);
    // The other was refused, or (the smaller lock id waits a moment for a racing one to step back) ran after it and found nothing to copy.
    expect(second!.deferred !== undefined || second!.copied.files === 0).toBe(true);
    await expectIntact(a, sources);
  });
});

it('damage on the primary is reported, and nothing depending on it is copied', async () => {
  const { primary, primaryDir, replicaDir, openReplica } = await primaryWithReplica(1);
  const packs: { name: string; size: number }[] = [];
  for await (const pack of primary.storage.list('data')) packs.push(pack);
  const victim = packs.sort((x, y) => y.size - x.size)[0]!;
  const file = path.join(primaryDir, objectPath({ type: 'data', name: victim.name }));
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 10]! ^= 0xff; // inside the sealed header: the name no longer matches
  fs.writeFileSync(file, bytes);
  const replica = await openReplica();
  await expect(replicatePass(primary, replica, PASS)).rejects.toThrow(new RegExp(`failed their check and were not copied to r1 \\(first: data ${victim.name.slice(0, 12)}: its header does not match its name\\)`));
  expect(fs.existsSync(path.join(replicaDir, objectPath({ type: 'data', name: victim.name })))).toBe(false);
  expect(await listSnapshots(replica)).toEqual([]);
});

it('a damaged index file the replica already holds is reported, and new snapshots are still copied', async () => {
  const { primary, primaryDir, openReplica } = await primaryWithReplica(1);
  const replica = await openReplica();
  await replicatePass(primary, replica, PASS);
  const [held] = [...(await listFolder(primary.storage, 'index')).keys()];
  const added = await backup(primary, { source: historySource(4), type: 'full', threads: 0 });
  const file = path.join(primaryDir, objectPath({ type: 'index', name: held! }));
  const bytes = fs.readFileSync(file);
  bytes[20]! ^= 0xff;
  fs.writeFileSync(file, bytes);
  await expect(replicatePass(primary, replica, { ...PASS, full: true })).rejects.toThrow(`(first: index ${held!.slice(0, 12)}: its content does not match its name)`);
  expect((await listSnapshots(replica)).map((s) => s.id)).toContain(added.snapshotId);
});

it('a time budget stops at a file boundary; the next pass goes on', async () => {
  const { primary, sources, openReplica } = await primaryWithReplica(2);
  const replica = await openReplica();
  const stopped = await replicatePass(primary, replica, { ...PASS, maxDurationMs: 0 });
  expect(stopped).toMatchObject({ partial: true, copied: { files: 0 }, behind: { snapshots: 2 } });
  expect(stopped.behind.oldestMissingAt! <= stopped.behind.newestMissingAt!).toBe(true);
  const progress: string[] = [];
  const rest = await replicatePass(primary, replica, { ...PASS, onProgress: (p) => progress.push(p.phase) });
  expect(rest.partial).toBeUndefined();
  expect(rest.behind).toEqual({ snapshots: 0, files: 0, bytes: 0 });
  expect([...new Set(progress)]).toEqual(['data', 'index', 'snapshots']);
  await expectIntact(replica, sources);
});

it("the barrier's catch-up (keys, data, index) copies no snapshot, deletes nothing and leaves the state alone", async () => {
  const { primary, openReplica } = await primaryWithReplica(1);
  let recording!: RecordingStorage;
  const replica = await openReplica((plain) => (recording = new RecordingStorage(plain)));
  const result = await replicatePass(primary, replica, { ...PASS, kinds: ['keys', 'data', 'index'], lock: 'held' });
  expect(result.copied.byType.snapshots).toBe(0);
  expect(result.copied.byType.index).toBeGreaterThan(0);
  expect(result.behind).toMatchObject({ snapshots: 0, files: 0 });
  expect(recording.calls.filter((c) => c.type === 'locks' && c.op !== 'list' && c.op !== 'get' && c.op !== 'stat')).toEqual([]);
  expect(await compareReplica(primary, replica, 'r1')).toMatchObject({ differences: 1, missing: [{ type: 'snapshots' }] });
});
