// Replication against real servers, across clouds: every replica set has its primary on SeaweedFS
// (eu), one replica on fake-gcs-server (us) and one on Azurite (ap), each behind its own fault
// proxy; a real `meridian worker` serves all of them from one meridian.yaml. Async (I1), sync with
// a replica down (I2), quorum 2 of 3 (I3), an outage and its exact re-sync (I4), a worker killed
// mid-copy (I5: killed first, checked last, so the wait for its heartbeat timeout overlaps the
// other tests) and deletion grace end to end (I8). Each ends with the oracle expectReplicaWhole.

import fs from 'node:fs';
import path from 'node:path';
import { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { describeOperation, startOperation } from '../../api/operations';
import { forget } from '../../core/forget';
import { prune } from '../../core/prune';
import type { PassResult, ReplicatedType } from '../../core/replicationTypes';
import { BackupOutput } from '../../workflows/shared';
import { ReplicaState, ReplicateInput, replicateNowUpdate, replicationStatusQuery, replicationWorkflowId } from '../../workflows/replicationDefs';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { expectReplicaWhole, initReplicas, Region, Regions, RegionsHome, regionsHome, RegionsOptions, startRegions, writeRegionsConfig } from '../helpers/regions';
import { eventually } from '../helpers/polling';
import { testConnection, TestConnection } from '../helpers/temporal';
import { expectSameTree, pseudoRandomBytes, writeTree } from '../helpers/trees';

const TYPES: ReplicatedType[] = ['keys', 'data', 'index', 'snapshots'];
const suffix = Date.now().toString(36).slice(-5);
const SETS = {
  i1: { set: `i1-${suffix}` },
  i2: { set: `i2-${suffix}`, mode: 'sync', syncTimeout: '30s' },
  i3: { set: `i3-${suffix}`, mode: 'quorum', quorum: 2, syncTimeout: '3s' },
  i4: { set: `i4-${suffix}` },
  i5: { set: `i5-${suffix}`, concurrency: 2 },
  i8: { set: `i8-${suffix}`, deleteGraceHours: 0.0003 },
} satisfies Record<string, RegionsOptions>;

let t: TestConnection;
let home: RegionsHome;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess | undefined;
const regions = {} as Record<keyof typeof SETS, Regions>;
/** I5: the replica's objects when the first worker was killed (name → size and mtime). */
let i5Recorded: Map<string, { size: number; mtime: number }>;

const setHandle = (r: Regions): WorkflowHandle => t.client.workflow.getHandle(replicationWorkflowId(r.options.set));
const status = (r: Regions) => setHandle(r).query(replicationStatusQuery);
const replicaState = async (r: Regions, region: Region): Promise<ReplicaState | undefined> => (await status(r)).replicas.find((s) => s.name === region.repository);
/** The next complete pass of the set (asked for now), one result per replica. */
const passNow = (r: Regions): Promise<PassResult[]> => setHandle(r).executeUpdate(replicateNowUpdate, { args: [{}] });
const resultFor = (results: PassResult[], region: Region) => results.find((p) => p.replica === region.repository)!;

/**
 * The bytes the set's workflow copied to `replica` in the passes that completed after `sinceMs`,
 * summed from the results in its history (every pass, whichever came last).
 */
async function bytesCopiedSince(r: Regions, replica: Region, sinceMs: number): Promise<number> {
  const history = await setHandle(r).fetchHistory();
  const replicaOf = new Map<string, string>();
  let bytes = 0;
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'replicateToReplica') {
      replicaOf.set(String(event.eventId), defaultPayloadConverter.fromPayload<ReplicateInput>(scheduled.input!.payloads![0]!).replica);
    }
    const completed = event.activityTaskCompletedEventAttributes;
    const at = Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;
    if (completed && replicaOf.get(String(completed.scheduledEventId)) === replica.repository && at > sinceMs) {
      bytes += defaultPayloadConverter.fromPayload<PassResult>(completed.result!.payloads![0]!).copied.bytes;
    }
  }
  return bytes;
}

/**
 * A folder under the worker's roots with `files` pseudo-random files of `bytes` each, the content
 * of each seeded by its file name (so writing the folder again with more files adds only those).
 */
function source(name: string, files: number, bytes: number): string {
  const dir = path.join(home.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const file = `${name}-${i}.bin`;
    fs.writeFileSync(path.join(dir, file), pseudoRandomBytes(bytes, [...file].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)));
  }
  return dir;
}

const backup = (r: Regions, dir: string) => startOperation(t.client, 'backup', { repo: r.primary.repository, path: dir, type: 'incremental' }, env.MERIDIAN_TASK_QUEUE);

/** Snapshot ids listed straight from a region's server (its proxy may be down). */
const snapshotIds = async (r: Regions, region: Region) => [...(await r.listing(region, 'snapshots')).keys()].sort();

/** Every replicated file of a region, by `type/name`. */
async function files(r: Regions, region: Region): Promise<Map<string, number>> {
  const all = new Map<string, number>();
  for (const type of TYPES) for (const [name, size] of await r.listing(region, type)) all.set(`${type}/${name}`, size);
  return all;
}

/** Waits until the set's workflow reports every replica idle with nothing behind. */
async function caughtUp(r: Regions, timeoutMs = 60_000): Promise<ReplicaState[]> {
  return eventually(
    `replicas of ${r.options.set} idle with nothing behind`,
    async () => {
      const replicas = (await status(r).catch(() => undefined))?.replicas;
      const done = replicas?.length === r.replicas.length && replicas.every((s) => s.state === 'idle' && s.behind.files === 0 && s.lastSuccessAt !== undefined);
      return done ? replicas : undefined;
    },
    timeoutMs,
  );
}

/** `meridian replication verify SET --json` through the worker: the number of differences. */
async function verifyDifferences(r: Regions): Promise<number> {
  const run = await runMeridian(['replication', 'verify', r.options.set, '--json'], { cwd: home.dir, env, timeoutMs: 60_000 });
  return parseJson<{ differences: number }>(run).differences;
}

beforeAll(async () => {
  t = await testConnection();
  home = regionsHome('replication');
  for (const [key, options] of Object.entries(SETS)) {
    regions[key as keyof typeof SETS] = await startRegions(home, options);
    await initReplicas(regions[key as keyof typeof SETS]);
  }
  writeRegionsConfig(home, Object.values(regions));
  env = { ...meridianEnv(home.dir, 'replication', home.passphrase), MERIDIAN_CONFIG: home.configFile, MERIDIAN_REPLICATION_RETRY_SECONDS: '1' };

  // I5, first half: a worker copies to a slowed replica and is SIGKILLed once a few packs are there.
  const r = regions.i5;
  const slow = r.byName('ap');
  slow.proxy.setChunkDelay(60);
  // Held in `worker` until killed, so that afterAll stops it if anything before the kill fails.
  const first = (worker = await startMeridianWorker(env));
  await (await backup(r, source('i5', 10, 1_000_000))).result();
  await eventually('three packs copied to the slowed replica', async () => ((await r.listing(slow, 'data')).size >= 3 ? true : undefined), 60_000);
  await first.stop('SIGKILL');
  i5Recorded = new Map();
  const now = await openListing(r, slow);
  for (const [key, info] of now) i5Recorded.set(key, info);
  slow.proxy.setChunkDelay(0);
  worker = await startMeridianWorker(env);
}, 120_000);

async function openListing(r: Regions, region: Region): Promise<Map<string, { size: number; mtime: number }>> {
  const repo = await r.open(region);
  const all = new Map<string, { size: number; mtime: number }>();
  for (const type of TYPES) for await (const entry of repo.storage.list(type)) all.set(`${type}/${entry.name}`, { size: entry.size, mtime: entry.mtime.getTime() });
  return all;
}

afterAll(async () => {
  await Promise.all(Object.values(regions).map((r) => setHandle(r).terminate('test over').catch(() => undefined)));
  await worker?.stop('SIGTERM');
  await Promise.all(Object.values(regions).map((r) => r.close()));
  await t?.close();
  if (home) fs.rmSync(home.dir, { recursive: true, force: true });
});

test('I1 async across clouds: a backup replicates by itself, verify finds 0 differences, each replica restores byte-identical', async () => {
  const r = regions.i1;
  const dir = path.join(home.dir, 'i1');
  writeTree(dir, { smallFiles: 40, largeFiles: [2_500_000] });
  const done: BackupOutput = await (await backup(r, dir)).result();

  await caughtUp(r);
  for (const replica of r.replicas) expect(await snapshotIds(r, replica)).toEqual([done.snapshotId]);
  expect(await verifyDifferences(r)).toBe(0);
  for (const replica of r.replicas) {
    const target = path.join(home.dir, `i1-restored-${replica.name}`);
    await (await startOperation(t.client, 'restore', { repo: replica.repository, snapshot: done.snapshotId, target }, env.MERIDIAN_TASK_QUEUE)).result();
    expectSameTree(dir, target);
    await expectReplicaWhole(r, replica);
  }
});

test('I2 sync with a replica down: the backup waits with a visible reason and no repository shows it; back up, it completes everywhere', async () => {
  const r = regions.i2;
  const us = r.byName('us');
  us.down();
  const run = await backup(r, source('i2', 2, 400_000));
  const waiting = await eventually(
    'the backup to report what it waits for',
    async () => {
      const view = await describeOperation(t.client, run.workflowId);
      const reason = (view.progress as { waiting?: string } | undefined)?.waiting;
      return reason ? reason : undefined;
    },
    30_000,
  );
  expect(waiting).toContain(us.repository);
  for (const region of r.all) expect(await snapshotIds(r, region)).toEqual([]);
  expect((await describeOperation(t.client, run.workflowId)).status).toBe('running');

  us.up();
  const done: BackupOutput = await run.result();
  expect(done.replication).toMatchObject({ mode: 'sync', lagging: [] });
  expect([...(done.replication?.heldBy ?? [])].sort()).toEqual(r.replicas.map((x) => x.repository).sort());
  for (const region of r.all) expect(await snapshotIds(r, region)).toEqual([done.snapshotId]);
  // The backup also asked the set's workflow for a pass, and a sync backup leaves every replica
  // idle with nothing behind, so the status cannot tell whether that pass has run: a pass asked
  // for now runs after it, and when it returns both have finished and released their locks.
  await passNow(r);
  await caughtUp(r);
  for (const replica of r.replicas) await expectReplicaWhole(r, replica);
});

test('I3 quorum 2 of 3: one replica down completes and lags; two down fails after syncTimeout; back up, the laggards catch up', async () => {
  const r = regions.i3;
  const [us, ap] = [r.byName('us'), r.byName('ap')];
  us.down();
  const first: BackupOutput = await (await backup(r, source('i3a', 2, 400_000))).result();
  expect(first.replication).toMatchObject({ mode: 'quorum', heldBy: [ap.repository], lagging: [us.repository] });
  expect(await snapshotIds(r, r.primary)).toEqual([first.snapshotId]);
  expect(await snapshotIds(r, ap)).toEqual([first.snapshotId]);
  expect(await snapshotIds(r, us)).toEqual([]);
  // (Its state goes from failing back to copying at each retry; reachable stays false between them.)
  const lagging = await eventually('us reported unreachable and behind', async () => {
    const s = await replicaState(r, us);
    return s && s.reachable === false && s.lastError !== undefined ? s : undefined;
  });
  expect(lagging.behind.snapshots).toBeGreaterThanOrEqual(1);

  ap.down();
  const second = await backup(r, source('i3b', 2, 400_000));
  await expect(second.result()).rejects.toThrow();
  expect((await describeOperation(t.client, second.workflowId)).error).toMatchObject({ type: 'replica-unavailable' });
  for (const region of r.all) expect(await snapshotIds(r, region)).toEqual(region === us ? [] : [first.snapshotId]);

  us.up();
  ap.up();
  await caughtUp(r);
  for (const region of r.replicas) expect(await snapshotIds(r, region)).toEqual([first.snapshotId]);
  // The failed backup left packs and index files on the primary; no backup signalled them, so the
  // next pass (the Schedule's, or this one) brings them over.
  await passNow(r);
  expect(await verifyDifferences(r)).toBe(0);
  for (const replica of r.replicas) await expectReplicaWhole(r, replica);
});

test('I4 an outage, several backups, then a re-sync that moves no more than 1.05x the bytes the replica lacks', async () => {
  const r = regions.i4;
  const ap = r.byName('ap');
  await (await backup(r, source('i4', 2, 500_000))).result();
  await caughtUp(r);

  const downAt = Date.now();
  ap.down();
  for (let round = 1; round <= 3; round++) {
    source('i4', 2 + round, 500_000); // one new file per round, the older ones unchanged
    await (await backup(r, path.join(home.dir, 'i4'))).result();
  }
  const behind = await eventually('the three missing snapshots counted for ap', async () => {
    const s = await replicaState(r, ap);
    return s && s.behind.snapshots >= 3 ? s.behind : undefined;
  });
  expect(behind.snapshots).toBe(3);

  const [onPrimary, onReplica] = await Promise.all([files(r, r.primary), files(r, ap)]);
  const missing = [...onPrimary].filter(([key]) => !onReplica.has(key)).reduce((sum, [, size]) => sum + size, 0);
  expect(missing).toBeGreaterThan(1_000_000);

  const upAt = new Date().toISOString();
  ap.up();
  await eventually('ap re-synced after its outage', async () => {
    const s = await replicaState(r, ap);
    return s && s.state === 'idle' && s.behind.files === 0 && (s.lastSuccessAt ?? '') > upAt ? s : undefined;
  });
  const moved = await bytesCopiedSince(r, ap, downAt);
  expect(moved).toBeGreaterThanOrEqual(missing);
  expect(moved).toBeLessThanOrEqual(1.05 * missing);
  expect(await verifyDifferences(r)).toBe(0);
  await expectReplicaWhole(r, ap);
});

test('I8 deletion grace end to end: a forget and prune on the primary reach the replicas only after deleteGraceHours', async () => {
  const r = regions.i8;
  const dir = source('i8', 3, 500_000);
  const first: BackupOutput = await (await backup(r, dir)).result();
  fs.rmSync(path.join(dir, 'i8-0.bin'));
  fs.writeFileSync(path.join(dir, 'i8-new.bin'), pseudoRandomBytes(500_000, 8888));
  const second: BackupOutput = await (await backup(r, dir)).result();
  await caughtUp(r);

  const primary = await r.open(r.primary);
  await forget(primary, { snapshotIds: [first.snapshotId] });
  await prune(primary);
  // The files the replicas hold that the primary no longer has: the forgotten snapshot, and what prune removed.
  const [onReplica, onPrimary] = await Promise.all([files(r, r.replicas[0]!), files(r, r.primary)]);
  const gone = [...onReplica.keys()].filter((key) => !onPrimary.has(key)).length;
  expect(gone).toBeGreaterThan(1);

  const kept = await passNow(r);
  for (const replica of r.replicas) {
    expect(resultFor(kept, replica)).toMatchObject({ deleted: { files: 0 } });
    expect(resultFor(kept, replica).pending.files).toBeGreaterThan(0);
    expect(await snapshotIds(r, replica)).toEqual([first.snapshotId, second.snapshotId].sort());
  }
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const swept = await passNow(r);
  for (const replica of r.replicas) {
    expect(resultFor(swept, replica)).toMatchObject({ pending: { files: 0 } });
    expect(resultFor(swept, replica).deleted.files).toBe(gone);
    expect(await snapshotIds(r, replica)).toEqual([second.snapshotId]);
    await expectReplicaWhole(r, replica);
  }
  expect(await verifyDifferences(r)).toBe(0);
});

test('I5 a worker killed mid-copy: a new worker finishes, no object on the replica was written twice, the replica verifies clean', async () => {
  const r = regions.i5;
  const ap = r.byName('ap');
  const onPrimary = await r.listing(r.primary, 'data');
  expect(i5Recorded.size).toBeGreaterThanOrEqual(3);
  expect([...i5Recorded.keys()].filter((key) => key.startsWith('data/')).length).toBeLessThan(onPrimary.size);
  expect([...i5Recorded.keys()].some((key) => key.startsWith('snapshots/'))).toBe(false);

  await caughtUp(r, 120_000);
  const after = await openListing(r, ap);
  for (const [key, info] of i5Recorded) expect({ key, ...after.get(key) }).toEqual({ key, ...info });
  // The killed attempt never completed: what the history shows copied is the new worker's, and it
  // sent none of the files already there (only the rest, the killed copies in flight among them).
  const total = (listing: Map<string, { size: number }>) => [...listing.values()].reduce((sum, f) => sum + f.size, 0);
  const copied = await bytesCopiedSince(r, ap, 0);
  expect(copied).toBeGreaterThan(0);
  expect(copied).toBeLessThanOrEqual(total(after) - total(i5Recorded));
  expect(await verifyDifferences(r)).toBe(0);
  await expectReplicaWhole(r, ap);
}, 150_000);
