// Key rotation on a real repository on disk: a new key seals new data at once; the old key files
// go; every snapshot restores at every moment; a rotation killed at any change of its background
// half is finished by a rerun; and at the end no file of the repository opens under the old key,
// no key file holds it, snapshots (with their parents and alert acknowledgments) and WAL
// segments have been sealed again, deep verify is clean and every snapshot restores byte for byte.

import fs from 'node:fs';
import { backup } from '../../core/archiver';
import { verify } from '../../core/checker';
import { MasterKeys, openUnder } from '../../core/crypto';
import { countLeft, reencrypt } from '../../core/keyRotation';
import { unlockKeyFile } from '../../core/keys';
import { ConcurrentChangeError } from '../../core/errors';
import { acquireLock, DEFAULT_LOCK_TIMINGS, listLocks } from '../../core/locks';
import { readStoredPackHeader } from '../../core/packFormat';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { listSnapshots } from '../../core/snapshots';
import { fetchWal, pushWal } from '../../core/walArchive';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { FileType, Storage } from '../../storage/storage';
import { buildHistory, HISTORY_PASSPHRASE, historySource } from '../helpers/pruneHistory';
import { opensUnder } from '../helpers/sealedUnder';
import { expectSameTree, pseudoRandomBytes, tempDir } from '../helpers/trees';

const WAL = { cluster: 'main', walName: '000000010000000000000001' };
const WAL_BYTES = pseudoRandomBytes(70_000, 9);

interface Rotated {
  dir: string;
  /** Sources in the order of their backups, the last one taken after the rotation began. */
  sources: string[];
  oldKeys: MasterKeys;
  /** The repository as it was just before the rotation started. */
  beforeDir: string;
}

let rotated: Rotated;
beforeAll(async () => {
  const dir = tempDir('rotation-repo');
  const { repo, sources } = await buildHistory(new LocalStorage(dir), 3);
  const ids = [...sources.keys()];
  const again = await backup(repo, { source: sources.get(ids[0]!)!, type: 'incremental', threads: 0 }); // its parent: the first snapshot
  expect(again.parent).toBe(ids[0]);
  await repo.addKey('a second passphrase');
  await pushWal(repo, { ...WAL, bytes: WAL_BYTES });
  await repo.storage.put({ type: 'alerts', name: ids[1]! }, repo.sealFile(Buffer.from(JSON.stringify({ snapshot: ids[1], acknowledgedAt: '2026-11-30T10:00:00.000Z', by: 'ops' }))));

  const beforeDir = copyOf(dir);
  const started = await repo.startRotation(HISTORY_PASSPHRASE);
  expect(started.removedKeys).toHaveLength(2); // the key that opened it and the second passphrase's
  const during = started.repository;
  expect(during.rotating).toBe(true);
  await expect(Repository.open(new LocalStorage(dir), 'a second passphrase')).rejects.toMatchObject({ code: 'wrong-passphrase' });
  await expect(during.addKey('another')).rejects.toThrow(/key rotation is under way/);

  // A backup during the rotation seals under the new key at once.
  const lateSource = historySource(3);
  await backup(during, { source: lateSource, type: 'incremental', threads: 0 });
  rotated = { dir, sources: [...sources.values(), sources.get(ids[0]!)!, lateSource], oldKeys: repo.keys!, beforeDir };
});

/**
 * Every snapshot, oldest first, restores exactly the source backed up at its turn. A run killed
 * between writing a snapshot's new copy and deleting the old file leaves both for a while:
 * `withCopies` takes one of each time.
 */
async function expectEverySnapshotRestores(repo: Repository, sources: string[], withCopies = false): Promise<void> {
  const listed = (await listSnapshots(repo)).sort((a, b) => a.time.localeCompare(b.time));
  const snapshots = withCopies ? listed.filter((s, i) => i === 0 || listed[i - 1]!.time !== s.time) : listed;
  expect(snapshots).toHaveLength(sources.length);
  for (const [i, snapshot] of snapshots.entries()) {
    const target = tempDir('rotation-restore');
    expect(await restore(repo, snapshot.id, { target, threads: 0 })).toMatchObject({ filesDamaged: 0 });
    expectSameTree(sources[i]!, target);
  }
}

function copyOf(dir: string): string {
  const copy = tempDir('rotation-copy');
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

/** The background half on `storage`, under a lock taken on the plain storage (its refreshes would make the count of changes vary). */
async function reencryptOn(dir: string, storage: Storage = new LocalStorage(dir)) {
  const lock = await acquireLock(await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE), { operation: 'key-rotation', exclusive: true });
  try {
    return await reencrypt(await Repository.open(storage, HISTORY_PASSPHRASE), { heldLock: lock, lockTimings: DEFAULT_LOCK_TIMINGS });
  } finally {
    await lock.release();
  }
}

/** Stored objects of a type, as bytes. */
async function stored(repo: Repository, type: FileType): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const entry of repo.storage.list(type)) out.set(entry.name, await repo.storage.get({ type, name: entry.name }));
  return out;
}

/** Nothing of the repository opens under the old key any more; everything opens under the current one. */
async function expectNothingUnderOldKey(repo: Repository, oldKey: Uint8Array): Promise<void> {
  const sealed: Uint8Array[] = [];
  for await (const pack of repo.storage.list('data')) sealed.push(await readStoredPackHeader(repo.storage, pack.name, pack.size));
  for (const type of ['index', 'snapshots', 'wal', 'alerts'] as const) sealed.push(...(await stored(repo, type)).values());
  const config = JSON.parse(Buffer.from((await stored(repo, 'config')).get('config')!).toString('utf8')) as { sealed: string };
  sealed.push(Buffer.from(config.sealed, 'base64'));
  expect(sealed.length).toBeGreaterThan(10);
  expect(sealed.filter((s) => opensUnder(oldKey, s))).toHaveLength(0);
  expect(sealed.filter((s) => !opensUnder(repo.keys!.encryption, s))).toHaveLength(0);
}

async function finish(dir: string): Promise<Repository> {
  const during = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  const finished = await during.finishRotation(HISTORY_PASSPHRASE);
  expect(finished.keyId).not.toBeNull();
  const repo = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  expect(repo.rotating).toBe(false);
  const keyFiles = await stored(repo, 'keys');
  expect([...keyFiles.keys()]).toEqual([finished.keyId]);
  expect((await unlockKeyFile(keyFiles.get(finished.keyId!)!, HISTORY_PASSPHRASE)).retired).toBeUndefined();
  return repo;
}

it('every snapshot restores during a rotation, through the retired key', async () => {
  const repo = await Repository.open(new LocalStorage(copyOf(rotated.dir)), HISTORY_PASSPHRASE);
  expect(repo.rotating).toBe(true);
  await expectEverySnapshotRestores(repo, rotated.sources);
  expect(await countLeft(repo)).toBeGreaterThan(5);
});

it('seals every file again, follows snapshot parents and acknowledgments, then destroys the old key', async () => {
  const dir = copyOf(rotated.dir);
  const before = await listSnapshots(await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE));
  const result = await reencryptOn(dir);
  expect(result.rounds).toBe(1);
  expect(result.packs.repacked).toBeGreaterThan(3);
  expect(result.files).toMatchObject({ snapshots: 4, wal: 1, alerts: 1 });
  // The index went with the prune's sweep, which rewrites it whole: nothing was left of it to seal again.
  expect(result.files.index).toBe(0);

  const repo = await finish(dir);
  await expectNothingUnderOldKey(repo, rotated.oldKeys.encryption);
  expect((await verify(repo, { level: 'deep' })).problems).toEqual([]);
  await expectEverySnapshotRestores(repo, rotated.sources);
  expect(Buffer.compare(await fetchWal(repo, WAL) ?? Buffer.alloc(0), WAL_BYTES)).toBe(0);

  // The snapshots sealed again keep their content; each parent names the new id of its parent.
  const after = (await listSnapshots(repo)).sort((a, b) => a.time.localeCompare(b.time));
  const oldToNew = new Map(before.sort((a, b) => a.time.localeCompare(b.time)).map((s, i) => [s.id, after[i]!.id]));
  for (const snapshot of after) expect(snapshot.tree).toBe(before.find((s) => s.time === snapshot.time)!.tree);
  expect(after.map((s) => s.parent)).toEqual([null, null, null, after[0]!.id, null]);
  expect(oldToNew.get(before[3]!.parent!)).toBe(after[0]!.id);
  const acknowledged = after[1]!.id;
  const alerts = await stored(repo, 'alerts');
  expect([...alerts.keys()]).toEqual([acknowledged]);
  expect(JSON.parse(Buffer.from(openUnder(repo.keys!, alerts.get(acknowledged)!, 'alert')).toString('utf8'))).toMatchObject({ snapshot: acknowledged, by: 'ops' });

  // A rerun has nothing to do, and the old key opens nothing.
  expect(await countLeft(repo)).toBe(0);
  await expect(reencryptOn(dir)).rejects.toThrow(/no key rotation is under way/);
});

it('a rotation killed at any change leaves every snapshot restorable, and a rerun finishes it', async () => {
  const changes = await changesOfCompleteRun();
  expect(changes).toBeGreaterThan(10);
  // Every change early and late, and a stride through the middle: each is a different step of the run.
  const stride = Math.max(1, Math.floor(changes / 12));
  const dieAts = [...new Set([1, 2, 3, ...Array.from({ length: Math.ceil(changes / stride) }, (_, i) => 1 + i * stride), changes - 2, changes - 1, changes])].filter((n) => n >= 1 && n <= changes);
  for (const dieAt of dieAts) {
    const dir = copyOf(rotated.dir);
    await expect(reencryptOn(dir, new FaultyStorage(new LocalStorage(dir), { dieAtChange: dieAt }))).rejects.toThrow(/killed/);
    await expectEverySnapshotRestores(await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE), rotated.sources, true);
    await reencryptOn(dir);
    const repo = await finish(dir);
    await expectNothingUnderOldKey(repo, rotated.oldKeys.encryption);
    expect({ dieAt, problems: (await verify(repo, { level: 'deep' })).problems }).toEqual({ dieAt, problems: [] });
    await expectEverySnapshotRestores(repo, rotated.sources);
  }
});

/** How many changes the background half makes when nothing kills it. */
async function changesOfCompleteRun(): Promise<number> {
  const dir = copyOf(rotated.dir);
  const storage = new FaultyStorage(new LocalStorage(dir), {});
  await reencryptOn(dir, storage);
  return storage.counts.changes;
}

it('a start of a rotation killed after sealing the config again opens by its new key file, and a second start carries it on', async () => {
  const dir = copyOf(rotated.beforeDir);
  const first = await Repository.open(new FaultyStorage(new LocalStorage(dir), { dieAtChange: 3 }), HISTORY_PASSPHRASE);
  await expect(first.startRotation(HISTORY_PASSPHRASE)).rejects.toThrow(/killed/); // the new key file and the config written; no old key file deleted
  const repo = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  expect(repo.rotating).toBe(true);
  expect((await stored(repo, 'keys')).size).toBe(3);
  const again = await repo.startRotation(HISTORY_PASSPHRASE);
  expect(Buffer.compare(again.repository.keys!.encryption, repo.keys!.encryption)).toBe(0);
  expect(again.removedKeys).toHaveLength(3);
  expect((await stored(repo, 'keys')).size).toBe(1);
  await expectEverySnapshotRestores(await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE), rotated.sources.slice(0, 4));
});

it('what a writer that opened the repository before the rotation seals under the old key meanwhile is taken by another round', async () => {
  const dir = copyOf(rotated.beforeDir);
  const stale = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  await (await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE)).startRotation(HISTORY_PASSPHRASE);
  let wrote = false;
  const storage = new FaultyStorage(new LocalStorage(dir), {
    beforeChange: async () => {
      if (wrote) return;
      wrote = true;
      await backup(stale, { source: rotated.sources[4]!, type: 'incremental', threads: 0 });
    },
  });
  const result = await reencryptOn(dir, storage);
  expect(wrote).toBe(true);
  expect(result.rounds).toBe(2);
  const repo = await finish(dir);
  await expectNothingUnderOldKey(repo, rotated.oldKeys.encryption);
  expect((await verify(repo, { level: 'deep' })).problems).toEqual([]);
  await expectEverySnapshotRestores(repo, rotated.sources);
});

it('a process that opened the repository before the rotation began can take no lock and push no WAL: it must open it again', async () => {
  const dir = copyOf(rotated.beforeDir);
  const stale = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  await (await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE)).startRotation(HISTORY_PASSPHRASE);
  await expect(acquireLock(stale, { operation: 'backup' })).rejects.toBeInstanceOf(ConcurrentChangeError);
  await expect(pushWal(stale, { cluster: 'main', walName: '000000010000000000000002', bytes: WAL_BYTES })).rejects.toThrow(/rotated since this process opened it/);
  const reopened = await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE);
  expect((await listLocks(reopened)).locks).toEqual([]); // the refused lock was removed
  const lock = await acquireLock(reopened, { operation: 'backup' });
  await lock.release();
  expect(await pushWal(reopened, { cluster: 'main', walName: '000000010000000000000002', bytes: WAL_BYTES })).toBe('stored');
});
