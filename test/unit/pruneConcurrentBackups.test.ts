// Backups running while a prune runs, on a real repository on disk, each held at a chosen point
// by a storage wrapper: one that deduplicated against blobs the prune condemned and commits
// before the sweep is rescued; one that commits after the sweep began undoes its snapshot and its
// retry succeeds; one started after the mark never uses a condemned pack. Temporary files created
// after the mark are left alone, a restore started during the prune outlives the sweep, and a
// snapshot repair waits for the prune.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { BlobReader } from '../../core/blobReader';
import { ConcurrentChangeError } from '../../core/errors';
import { acquireLock } from '../../core/locks';
import { MasterIndex } from '../../core/masterIndex';
import { prune, PruneResult } from '../../core/prune';
import { repairSnapshots } from '../../core/repair';
import { condemnedPacks, PrunePlan, readPrunePlans, savePrunePlan } from '../../core/prunePlan';
import { addUsedBlobs } from '../../core/reachability';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { findSnapshot, listSnapshots } from '../../core/snapshots';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { Handle } from '../../storage/storage';
import { buildHistory, expectIntact, forgetSnapshots, HISTORY_INIT, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { expectSameTree, tempDir } from '../helpers/trees';

/** A repository with snapshot A (forgotten: its own blobs are condemned by the next prune) and B (kept). */
async function repositoryWithForgottenSnapshot() {
  const dir = tempDir('prune-concurrent');
  const repo = await Repository.init(new LocalStorage(dir), HISTORY_PASSPHRASE, HISTORY_INIT);
  const sourceA = historySource(0);
  const sourceB = historySource(2);
  const a = await backup(repo, { source: sourceA, type: 'full', threads: 0 });
  const b = await backup(repo, { source: sourceB, type: 'full', threads: 0 });
  await forgetSnapshots(repo, [a.snapshotId]);
  return { dir, repo, sourceA, kept: new Map([[b.snapshotId, sourceB]]) };
}

/** A repository handle whose snapshot writes wait until `release()`; `reached` resolves when one is waiting. */
async function heldAtCommit(dir: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: (h: Handle) => void;
  const waiting = new Promise<Handle>((resolve) => (reached = resolve));
  const storage = new FaultyStorage(new LocalStorage(dir), {
    beforeChange: async (op, h) => {
      if (h.type !== 'snapshots') return;
      reached(h);
      await released;
    },
  });
  return { repo: await Repository.open(storage, HISTORY_PASSPHRASE), release, waiting };
}

async function waitForPlan(repo: Repository) {
  for (;;) {
    const [plan] = (await readPrunePlans(repo)).plans;
    if (plan) return plan;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every pack holding a copy of a blob the snapshot uses, per blob. */
async function locationsOfSnapshot(repo: Repository, snapshotId: string): Promise<string[][]> {
  const index = await MasterIndex.load(repo);
  const used = new Set<string>();
  await addUsedBlobs(new BlobReader(repo, index), [await findSnapshot(repo, snapshotId)], used);
  return [...used].map((id) => index.locations(id).map((l) => l.pack));
}

it('a backup that deduplicated against condemned blobs and commits before the sweep is rescued', async () => {
  const { dir, repo, sourceA, kept } = await repositoryWithForgottenSnapshot();
  const writer = await heldAtCommit(dir);
  const lock = await acquireLock(repo, { operation: 'backup' });
  // Backs up A's content again: every blob is already stored, in packs the prune will condemn.
  const running = backup(writer.repo, { source: sourceA, type: 'full', threads: 0 });
  await writer.waiting;

  let released = false;
  const pruned = prune(repo, {
    maxUnusedPercent: 0,
    onProgress: (phase) => {
      if (phase !== 'wait' || released) return;
      released = true;
      writer.release(); // commits while the plan is only marked, then lets go of its lock
      void running.then(() => lock.release());
    },
  });
  const [result, committed] = await Promise.all([pruned, running]);
  expect(result.locksWaitedFor).toBe(1);
  expect(result.rescuedPacks).toBeGreaterThan(0);
  expect(committed.stats.bytesAdded).toBe(0); // everything deduplicated against the condemned packs
  await expectIntact(repo, new Map([...kept, [committed.snapshotId, sourceA]]));
});

it('a backup that commits after the sweep began undoes its snapshot, and its retry succeeds', async () => {
  const { dir, repo, sourceA, kept } = await repositoryWithForgottenSnapshot();
  const writer = await heldAtCommit(dir);
  // No lock: a writer the prune took for gone (a paused machine whose lock went stale).
  const running = backup(writer.repo, { source: sourceA, type: 'full', threads: 0 });
  const attempted = await writer.waiting;
  const result = await prune(repo, { maxUnusedPercent: 0 });
  expect(result.packs.deleted + result.packs.repacked).toBeGreaterThan(0);
  expect(result.rescuedPacks).toBe(0);

  writer.release();
  await expect(running).rejects.toThrow(ConcurrentChangeError);
  expect((await listSnapshots(repo)).map((s) => s.id)).not.toContain(attempted.name);
  const retried = await backup(repo, { source: sourceA, type: 'full', threads: 0 });
  expect(retried.stats.bytesAdded).toBeGreaterThan(0); // the condemned blobs were gone: stored again
  await expectIntact(repo, new Map([...kept, [retried.snapshotId, sourceA]]));
});

it('a backup started after the mark never uses a condemned pack; temporary files made after the mark stay', async () => {
  const { dir, repo, sourceA, kept } = await repositoryWithForgottenSnapshot();
  const before = path.join(dir, 'data', 'stream.tmp-0000000000aa');
  const after = path.join(dir, 'data', 'stream.tmp-0000000000bb');
  fs.writeFileSync(before, 'a killed backup');
  const lock = await acquireLock(repo, { operation: 'backup' });
  const pruned: Promise<PruneResult> = prune(repo, { maxUnusedPercent: 0 });
  const plan = await waitForPlan(repo);
  fs.writeFileSync(after, 'a backup writing now');

  const late = await backup(repo, { source: sourceA, type: 'full', threads: 0 });
  const condemned = new Set(condemnedPacks(plan));
  expect(condemned.size).toBeGreaterThan(0);
  for (const packs of await locationsOfSnapshot(repo, late.snapshotId)) expect(packs.some((p) => !condemned.has(p))).toBe(true);

  await lock.release();
  const result = await pruned;
  expect(result.rescuedPacks).toBe(0);
  expect(fs.existsSync(before)).toBe(false);
  expect(fs.existsSync(after)).toBe(true);
  await expectIntact(repo, new Map([...kept, [late.snapshotId, sourceA]]));
});

it('a backup whose parent snapshot has trees in packs a running prune condemned reads its files again instead of failing', async () => {
  const { repo, kept } = await repositoryWithForgottenSnapshot();
  const [parentId, source] = [...kept][0]!;
  const parent = await findSnapshot(repo, parentId);
  // A parent committed during a prune by a backup that started before it: its root tree may sit
  // in a condemned pack (which the sweep rescues). Here a plan condemns that pack directly.
  const index = await MasterIndex.load(repo);
  const treePack = index.get(parent.tree)!.pack;
  await savePrunePlan(repo, { ...emptyPlan(), deletePacks: [{ id: treePack, size: 1 }] });
  const child = await backup(repo, { source, type: 'incremental', threads: 0 });
  expect(child.parent).toBe(parentId);
  expect(child.stats.filesUnmodified).toBe(0); // nothing taken from the parent: every file read again
  expect(child.stats.bytesAdded).toBeGreaterThan(0); // and stored outside the condemned packs
});

function emptyPlan(): PrunePlan {
  return {
    kind: 'prune-plan',
    id: '7'.repeat(64),
    state: 'marked',
    createdAt: new Date().toISOString(),
    maxUnusedPercent: 5,
    snapshotsSeen: [],
    deletePacks: [],
    repackPacks: [],
    writtenPacks: [],
    unindexedPacks: [],
    leftovers: [],
    rescuedPacks: [],
    rescueDone: false,
    packsKept: 0,
    bytesKept: 0,
    bytesWritten: 0,
    indexFilesBefore: 0,
  };
}

it('a restore started during a prune reads the copies the prune keeps, and finishes after the sweep deleted the old ones', async () => {
  const dir = tempDir('prune-restore-during');
  const { repo, sources } = await buildHistory(new LocalStorage(dir), 4);
  const ids = [...sources.keys()];
  await forgetSnapshots(repo, ids.slice(0, 2));
  const lock = await acquireLock(repo, { operation: 'backup' }); // holds the prune in its wait
  const pruned = prune(repo, { maxUnusedPercent: 0 });
  const plan = await waitForPlan(repo);
  expect(plan.repackPacks.length).toBeGreaterThan(0);

  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const reading = new Promise<void>((resolve) => (reached = resolve));
  const held = new FaultyStorage(new LocalStorage(dir), {
    beforeRead: async (h) => {
      if (h.type !== 'data') return;
      reached();
      await released;
    },
  });
  const target = tempDir('prune-restore-target');
  const restoring = restore(await Repository.open(held, HISTORY_PASSPHRASE), ids[3]!, { target, threads: 0 });
  await reading; // index loaded, plan read: the restore now reads packs
  await lock.release();
  expect((await pruned).packs.repacked).toBe(plan.repackPacks.length);
  release();
  expect(await restoring).toMatchObject({ filesDamaged: 0 });
  expectSameTree(sources.get(ids[3]!)!, target);
});

it('repair snapshots, which cannot avoid condemned packs, waits for a prune to finish', async () => {
  const { repo } = await repositoryWithForgottenSnapshot();
  const plan: PrunePlan = { ...emptyPlan(), deletePacks: [{ id: 'a'.repeat(64), size: 1 }] };
  await savePrunePlan(repo, plan);
  await expect(repairSnapshots(repo)).rejects.toThrow(ConcurrentChangeError);
  await savePrunePlan(repo, { ...plan, state: 'done' });
  await expect(repairSnapshots(repo)).resolves.toMatchObject({ snapshotsRepaired: 0 });
});
