// The activities hold a repository lock for their whole run, through real activity code (in a
// Temporal activity context) on a real repository on disk: the lock is the first thing written
// after the repository is opened and the last thing removed; a lock removed under a running backup
// fails it retryably, with no snapshot when removed just before its commit, while one removed right
// after the commit leaves the backup done, with one snapshot (a forget in that case still fails);
// an index repair takes an exclusive lock and is refused while a prune holds one.

import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index';
import { backup } from '../../core/archiver';
import { acquireLock, LockTimings } from '../../core/locks';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { Handle } from '../../storage/storage';
import { BackupOutput } from '../../workflows/shared';
import { testAuthority } from '../helpers/meridianWorker';
import { RecordingStorage } from '../helpers/recordingStorage';
import { pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASSPHRASE = 'activity locks';
// Long enough that a busy event loop (encoding, index rebuilding) never delays a refresh past 2 × refreshMs.
const lockTimings: LockTimings = { refreshMs: 500, staleMs: 2000 };

let dir: string;
let source: string;
beforeAll(async () => {
  dir = tempDir('activity-locks');
  source = tempDir('activity-locks-src');
  writeTree(source, { smallFiles: 10, largeFiles: [300_000] });
  const repo = await Repository.init(new LocalStorage(dir), PASSPHRASE, { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 });
  await backup(repo, { source, type: 'full', threads: 0 });
});

const lockFiles = () => (fs.existsSync(path.join(dir, 'locks')) ? fs.readdirSync(path.join(dir, 'locks')).filter((name) => !name.includes('.tmp-')) : []);

/** The activities of a worker that opens the repository through `wrap` (recording, slowing). */
function activities(wrap: (storage: LocalStorage) => RecordingStorage | FaultyStorage) {
  return createActivities({
    authority: testAuthority(PASSPHRASE),
    openRepository: (admitted) => Repository.open(wrap(new LocalStorage(admitted.url)), admitted.passphrase()),
    lockTimings,
  });
}

function asFailure(err: unknown): ApplicationFailure {
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe.each([
  ['backup', (a: ReturnType<typeof activities>) => a.backupSnapshot({ repo: dir, path: source, type: 'incremental' })],
  ['restore', (a: ReturnType<typeof activities>) => a.restoreSnapshot({ repo: dir, snapshot: 'latest', target: tempDir('activity-locks-target') })],
  ['verify', (a: ReturnType<typeof activities>) => a.verifyRepository({ repo: dir, level: 'deep' })],
])('%s', (operation, run) => {
  it('writes its lock before reading anything else of the repository and removes it at the end', async () => {
    let recording: RecordingStorage | undefined;
    const acts = activities((storage) => (recording = new RecordingStorage(storage)));
    await new MockActivityEnvironment({ workflowExecution: { workflowId: `${operation}:test`, runId: 'r' } }).run(() => run(acts));
    const calls = recording!.calls;
    const opening = calls.findIndex((c) => c.type !== 'config' && c.type !== 'keys');
    expect(calls[opening]).toMatchObject({ op: 'put', type: 'locks' });
    const lockName = calls[opening]!.name;
    expect(calls[calls.length - 1]).toEqual({ op: 'delete', type: 'locks', name: lockName });
    expect(calls.filter((c) => c.type === 'locks' && c.op === 'put' && c.name !== lockName)).toEqual([]);
    expect(lockFiles()).toEqual([]);
  });
});

it('a backup whose lock is removed while it runs fails retryably, and leaves no lock behind', async () => {
  const big = tempDir('activity-locks-big');
  fs.writeFileSync(path.join(big, 'raster.tif'), pseudoRandomBytes(6_000_000, 3));
  // Slow uploads: the lock is removed while the backup runs.
  const acts = activities((storage) => new FaultyStorage(storage, { putDelayMs: 50 }));
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'backup:removed', runId: 'r' } });
  let removed = false;
  // `meridian unlock --force` of another host, as soon as the lock is there.
  const remover = setInterval(() => {
    for (const name of removed ? [] : lockFiles()) {
      fs.rmSync(path.join(dir, 'locks', name));
      removed = true;
    }
  }, 20);
  const err = await env
    .run(() => acts.backupSnapshot({ repo: dir, path: big, type: 'full' }))
    .catch((e: unknown) => e)
    .finally(() => clearInterval(remover));
  expect(removed).toBe(true);
  expect(asFailure(err)).toMatchObject({ type: 'concurrent-change', nonRetryable: false });
  expect(asFailure(err).message).toContain('the lock was removed');
  expect(lockFiles()).toEqual([]);
});

describe('a backup and the loss of its lock around its commit', () => {
  /** The snapshots of `source` in the repository. */
  async function snapshotsOf(source: string) {
    const repo = await Repository.open(new LocalStorage(dir), PASSPHRASE);
    return (await listSnapshots(repo)).filter((s) => s.source === source);
  }

  /** Removes every lock file: `meridian unlock --force` of another host. */
  const unlockAll = () => lockFiles().forEach((name) => fs.rmSync(path.join(dir, 'locks', name)));

  /** A storage that removes the locks as soon as a snapshot is written, the commit done. */
  class UnlockedAfterCommit extends FaultyStorage {
    removed = false;
    override async put(h: Handle, data: Uint8Array): Promise<void> {
      await super.put(h, data);
      if (h.type !== 'snapshots') return;
      unlockAll();
      this.removed = true;
    }
  }

  /** One attempt of the backup activity of workflow `workflowId` (a retry is another attempt of the same workflow). */
  async function backupAttempt(acts: ReturnType<typeof activities>, workflowId: string, src: string): Promise<BackupOutput> {
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'r' } });
    return (await env.run(() => acts.backupSnapshot({ repo: dir, path: src, type: 'full' }))) as BackupOutput;
  }

  /** New content to back up: packs, an index and a snapshot of its own. */
  function newSource(seed: number) {
    const src = tempDir('activity-locks-commit');
    writeTree(src, { smallFiles: 5, largeFiles: [200_000], seed });
    return src;
  }

  it('lost right after the commit: the backup succeeds with its one snapshot (a retry would store a duplicate)', async () => {
    const src = newSource(41);
    let storage: UnlockedAfterCommit | undefined;
    const acts = activities((inner) => (storage = new UnlockedAfterCommit(inner, {})));
    const output = await backupAttempt(acts, 'backup:unlocked-after-commit', src);
    expect(storage!.removed).toBe(true);
    expect((await snapshotsOf(src)).map((s) => s.id)).toEqual([output.snapshotId]);
    expect(lockFiles()).toEqual([]);
  });

  it('lost just before the commit: nothing is committed, the failure is retryable, and the retry stores one snapshot', async () => {
    const src = newSource(42);
    let removed = false;
    // Removed once the backup writes its index: after its packs, before its snapshot.
    const acts = activities(
      (inner) =>
        new FaultyStorage(inner, {
          beforeChange: async (op, h) => {
            if (op !== 'put' || h.type !== 'index' || removed) return;
            unlockAll();
            removed = true;
          },
        }),
    );
    const err = await backupAttempt(acts, 'backup:unlocked-before-commit', src).catch((e: unknown) => e);
    expect(removed).toBe(true);
    expect(asFailure(err)).toMatchObject({ type: 'concurrent-change', nonRetryable: false });
    expect(asFailure(err).message).toContain('the lock was removed');
    expect(await snapshotsOf(src)).toEqual([]);

    // Temporal's retry of the same activity.
    const output = await backupAttempt(acts, 'backup:unlocked-before-commit', src);
    expect((await snapshotsOf(src)).map((s) => s.id)).toEqual([output.snapshotId]);
    expect(lockFiles()).toEqual([]);
  });

  it('other operations still fail when their lock is lost after their change: a forget', async () => {
    const src = newSource(43);
    const { snapshotId } = await backupAttempt(activities((inner) => new FaultyStorage(inner, {})), 'backup:forgotten', src);
    let removed = false;
    const acts = activities(
      (inner) =>
        new FaultyStorage(inner, {
          beforeChange: async (op, h) => {
            if (op !== 'delete' || h.type !== 'snapshots') return;
            unlockAll();
            removed = true;
          },
        }),
    );
    const err = await new MockActivityEnvironment().run(() => acts.forgetSnapshots({ repo: dir, snapshots: [snapshotId] })).catch((e: unknown) => e);
    expect(removed).toBe(true);
    expect(await snapshotsOf(src)).toEqual([]);
    expect(asFailure(err)).toMatchObject({ type: 'concurrent-change', nonRetryable: false });
    expect(asFailure(err).message).toContain('the lock was removed');
  });
});

it('an index repair takes an exclusive lock: refused while a prune holds one, clearly and for good', async () => {
  const repo = await Repository.open(new LocalStorage(dir), PASSPHRASE);
  const prune = await acquireLock(repo, { operation: 'prune', exclusive: true, timings: lockTimings });
  try {
    const acts = activities((storage) => new RecordingStorage(storage));
    const err = await new MockActivityEnvironment().run(() => acts.repairIndex({ repo: dir })).catch((e: unknown) => e);
    expect(asFailure(err)).toMatchObject({ type: 'locked', nonRetryable: true });
    expect(asFailure(err).message).toMatch(/^\[locks\] another prune or repair is running: prune on /);
    expect(lockFiles()).toEqual([prune.id]);
  } finally {
    await prune.release();
  }
});
