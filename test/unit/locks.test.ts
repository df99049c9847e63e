// Repository locks on a real repository on disk: records written, refreshed and removed; a lock
// removed under its holder aborts it with a retryable error; staleness judged by observation only
// (a holder's clock, however wrong, changes nothing); unlock removes only what is stale (or all
// with force, never prune plans); exclusive acquirers racing: exactly one wins.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrentChangeError, RepositoryError } from '../../core/errors';
import { acquireLock, awaitLocks, HeldLock, listLocks, LockRecord, LockTimings } from '../../core/locks';
import { jsonBytes, Repository } from '../../core/repository';
import { unlock } from '../../core/unlock';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { lockTimingsFromEnv } from '../../worker/lockSettings';
import { tempDir } from '../helpers/trees';

const PASSPHRASE = 'locks';
// Short, for fast tests, yet long enough for a refresh (a put with fsync) on a busy machine: a
// holder whose refresh takes longer than refreshMs gives its lock up.
const timings: LockTimings = { refreshMs: 500, staleMs: 2000 };

let dir: string;
let repo: Repository;
beforeEach(async () => {
  dir = tempDir('locks');
  repo = await Repository.init(new LocalStorage(dir), PASSPHRASE);
});

/** The files of locks/, without a refresh's temporary file of the moment. */
const lockFiles = () => (fs.existsSync(path.join(dir, 'locks')) ? fs.readdirSync(path.join(dir, 'locks')).filter((name) => !name.includes('.tmp-')).sort() : []);

/** Reads the lock file `id` as stored: sealed under the repository key, then parsed. */
async function storedRecord(id: string): Promise<LockRecord> {
  const bytes = await repo.storage.get({ type: 'locks', name: id });
  return JSON.parse(Buffer.from(repo.openFile(bytes, 'lock')).toString('utf8')) as LockRecord;
}

/**
 * A holder on another host, whose clock says `clock`: it writes a lock record the way a holder
 * does (same file, sequence + 1 on each refresh), with refreshedAt from its own clock.
 */
function foreignHolder(clock: () => Date, options: { exclusive?: boolean } = {}) {
  const id = Buffer.from(`${Math.random()}`).toString('hex').padEnd(64, '0').slice(0, 64);
  let sequence = 0;
  const write = () =>
    repo.storage.put(
      { type: 'locks', name: id },
      repo.sealFile(
        jsonBytes({
          kind: 'lock',
          id,
          operation: 'backup',
          exclusive: options.exclusive ?? false,
          host: 'elsewhere',
          pid: 7,
          createdAt: clock().toISOString(),
          refreshedAt: clock().toISOString(),
          sequence: sequence++,
          refreshMs: timings.refreshMs,
        }),
      ),
    );
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  return {
    id,
    write,
    startRefreshing: () => (timer = setInterval(() => void (inFlight = write()), timings.refreshMs)),
    /** Stops refreshing once the write under way (if any) has landed, as a holder that exits does. */
    stop: async () => {
      clearInterval(timer);
      await inFlight;
    },
  };
}

const YEARS = 365 * 24 * 3600 * 1000;
const past = () => new Date(Date.now() - 10 * YEARS);
const future = () => new Date(Date.now() + 10 * YEARS);

/** Settles `promise` into a box that says whether it has settled yet. */
function watch<T>(promise: Promise<T>) {
  const box: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(box, { settled: true, value }),
    (error: unknown) => Object.assign(box, { settled: true, error }),
  );
  return box;
}

describe('acquire, refresh, release', () => {
  it('writes a sealed lock record, refreshes it (sequence + 1 on the same file) and removes it on release', async () => {
    const lock = await acquireLock(repo, { operation: 'verify', workflowId: 'verify:x', timings });
    expect(lockFiles()).toEqual([lock.id]);
    const raw = fs.readFileSync(path.join(dir, 'locks', lock.id));
    expect(raw.includes(Buffer.from('verify'))).toBe(false); // sealed
    const first = await storedRecord(lock.id);
    expect(first).toMatchObject({ kind: 'lock', id: lock.id, operation: 'verify', exclusive: false, pid: process.pid, workflowId: 'verify:x', sequence: 0 });
    while ((await storedRecord(lock.id)).sequence < 2) await sleep(timings.refreshMs / 5);
    expect(lockFiles()).toEqual([lock.id]);
    expect((await listLocks(repo)).locks.map((l) => l.id)).toEqual([lock.id]);
    await lock.release();
    expect(lockFiles()).toEqual([]);
    expect(lock.lost).toBe(false);
  });

  it('a lock removed under its holder is lost, not recreated, and aborts the operation with a retryable error', async () => {
    const lock = await acquireLock(repo, { operation: 'backup', timings });
    fs.rmSync(path.join(dir, 'locks', lock.id));
    await new Promise((resolve) => lock.signal.addEventListener('abort', resolve));
    expect(lock.lost).toBe(true);
    expect(lock.signal.reason).toBeInstanceOf(ConcurrentChangeError);
    expect(() => lock.assertHeld()).toThrow('the lock was removed');
    await sleep(4 * timings.refreshMs);
    expect(lockFiles()).toEqual([]);
    await lock.release();
    expect(lockFiles()).toEqual([]);
  });

  it('confirm() finds a removal that no refresh has seen yet: an operation that finished unprotected is not taken as done', async () => {
    const lock = await acquireLock(repo, { operation: 'verify', timings });
    fs.rmSync(path.join(dir, 'locks', lock.id));
    await expect(lock.confirm()).rejects.toThrow(ConcurrentChangeError);
    expect(lock.lost).toBe(true);
    await lock.release();
    expect(lockFiles()).toEqual([]);
  });

  it('a holder that could not refresh for 2 × the refresh interval (a paused process) knows its lock may be taken for stale', async () => {
    const lock = await acquireLock(repo, { operation: 'backup', timings });
    // The whole thread stops, timers included, as under SIGSTOP.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3 * timings.refreshMs);
    expect(() => lock.assertHeld()).toThrow(/not refreshed for .* may have been taken for stale/);
    expect(lock.signal.aborted).toBe(true);
    await lock.release();
    expect(lockFiles()).toEqual([]);
  });

  it('refreshes at a steady rate: writes that take half the refresh interval do not lose the lock', async () => {
    const slow = await Repository.open(new FaultyStorage(new LocalStorage(dir), { putDelayMs: timings.refreshMs / 2 }), PASSPHRASE);
    const lock = await acquireLock(slow, { operation: 'backup', timings });
    while ((await storedRecord(lock.id)).sequence < 4) await sleep(timings.refreshMs / 5);
    expect(lock.lost).toBe(false);
    await lock.release();
  });

  it("the caller's cancellation aborts the lock's signal without losing the lock", async () => {
    const caller = new AbortController();
    const lock = await acquireLock(repo, { operation: 'restore', timings, signal: caller.signal });
    caller.abort(new Error('canceled'));
    expect(lock.signal.aborted).toBe(true);
    expect(lock.lost).toBe(false);
    await lock.release();
  });

  it('a lock left by an earlier attempt of the same workflow and operation is replaced; other locks stay', async () => {
    const killed = await acquireLock(repo, { operation: 'backup', workflowId: 'w1', timings });
    const other = await acquireLock(repo, { operation: 'backup', workflowId: 'w2', timings });
    const retry = await acquireLock(repo, { operation: 'backup', workflowId: 'w1', timings });
    expect(lockFiles()).toEqual([other.id, retry.id].sort());
    for (const lock of [killed, other, retry]) await lock.release();
  });
});

describe('listing', () => {
  it('skips prune plans and reports files that cannot be read', async () => {
    const lock = await acquireLock(repo, { operation: 'backup', timings });
    await repo.storage.put({ type: 'locks', name: 'a'.repeat(64) }, repo.sealFile(jsonBytes({ kind: 'prune-plan', state: 'marked' })));
    await repo.storage.put({ type: 'locks', name: 'b'.repeat(64) }, Buffer.from('garbage'));
    const listing = await listLocks(repo);
    expect(listing.locks.map((l) => l.id)).toEqual([lock.id]);
    expect(listing.unreadable).toEqual([{ name: 'b'.repeat(64), reason: 'cannot be opened with the repository key' }]);
    await lock.release();
  });
});

describe('staleness by observation', () => {
  it('a lock with refreshedAt far in the past that is still refreshed is not stale; once it stops, it is', async () => {
    const holder = foreignHolder(past);
    await holder.write();
    holder.startRefreshing();
    const waited = watch(awaitLocks(repo, [holder.id], { staleMs: timings.staleMs, pollMs: 10 }));
    await sleep(1.5 * timings.staleMs);
    expect(waited.settled).toBe(false);
    await holder.stop();
    while (!waited.settled) await sleep(10);
    expect(waited.value).toEqual({ released: [], stale: [holder.id] });
  });

  it('a lock with refreshedAt in the future that stopped refreshing is stale after staleMs', async () => {
    const holder = foreignHolder(future);
    await holder.write();
    await expect(awaitLocks(repo, [holder.id], { staleMs: timings.staleMs, pollMs: 10 })).resolves.toEqual({ released: [], stale: [holder.id] });
  });

  it('a released lock ends the wait', async () => {
    const lock = await acquireLock(repo, { operation: 'backup', timings });
    const waited = watch(awaitLocks(repo, [lock.id], { staleMs: timings.staleMs, pollMs: 10 }));
    await sleep(1.2 * timings.staleMs);
    expect(waited.settled).toBe(false);
    await lock.release();
    while (!waited.settled) await sleep(10);
    expect(waited.value).toEqual({ released: [lock.id], stale: [] });
  });
});

describe('unlock', () => {
  it('removes only locks that look old and stay unchanged while watched; --force removes every lock, never a plan', async () => {
    const live = await acquireLock(repo, { operation: 'verify', timings });
    const skewedLive = foreignHolder(past);
    await skewedLive.write();
    skewedLive.startRefreshing();
    const dead = foreignHolder(past);
    await dead.write();
    const deadAhead = foreignHolder(future);
    await deadAhead.write();
    const plan = 'c'.repeat(64);
    await repo.storage.put({ type: 'locks', name: plan }, repo.sealFile(jsonBytes({ kind: 'prune-plan', state: 'sweeping' })));
    const garbage = 'd'.repeat(64);
    await repo.storage.put({ type: 'locks', name: garbage }, Buffer.from('garbage'));

    const result = await unlock(repo, { timings });
    expect(result.removed.map((l) => l.id)).toEqual([dead.id]);
    expect(result.removed[0]).toMatchObject({ operation: 'backup', host: 'elsewhere', pid: 7 });
    expect(result.removed[0]!.ageSeconds).toBeGreaterThan(9 * 365 * 24 * 3600);
    expect(result.kept.map((l) => l.id).sort()).toEqual([live.id, skewedLive.id, deadAhead.id, garbage].sort());
    expect(result).toMatchObject({ force: false, removedCount: 1, keptCount: 4 });
    expect(lockFiles()).toEqual([live.id, skewedLive.id, deadAhead.id, plan, garbage].sort());
    expect(live.lost).toBe(false);

    // --force removes live locks too; the foreign holder stops first, so that no refresh of its
    // own lands after the removal (a real holder would then find its lock gone and give up).
    await skewedLive.stop();
    const forced = await unlock(repo, { force: true, timings });
    expect(forced.removed.map((l) => l.id).sort()).toEqual([live.id, skewedLive.id, deadAhead.id, garbage].sort());
    expect(lockFiles()).toEqual([plan]);
    // The holder may have found its lock gone while unlock looked for locks written back.
    if (!live.signal.aborted) await new Promise((resolve) => live.signal.addEventListener('abort', resolve));
    expect(live.lost).toBe(true);
    expect(lockFiles()).toEqual([plan]);
    await live.release();
  });

  it('--force removes again a lock that a refresh crossing the removal wrote back', async () => {
    const holder = foreignHolder(past);
    await holder.write();
    const forcing = unlock(repo, { force: true, timings });
    // The holder's refresh checked the lock just before its removal and writes it back just after.
    while (lockFiles().includes(holder.id)) await sleep(1);
    await holder.write();
    expect(lockFiles()).toEqual([holder.id]);
    expect(await forcing).toMatchObject({ force: true, removedCount: 1 });
    expect(lockFiles()).toEqual([]);
  });
});

describe('exclusive locks', () => {
  it('are exclusive only against each other', async () => {
    const backup = await acquireLock(repo, { operation: 'backup', timings });
    const prune = await acquireLock(repo, { operation: 'prune', exclusive: true, timings });
    const restore = await acquireLock(repo, { operation: 'restore', timings });
    const refused = acquireLock(repo, { operation: 'repair-index', exclusive: true, timings });
    await expect(refused).rejects.toThrow(RepositoryError);
    await expect(refused).rejects.toThrow(/^\[locks\] another prune or repair is running: prune on .* \(pid \d+\), last refreshed at .*; try again when it is done/);
    expect(lockFiles()).toEqual([backup.id, prune.id, restore.id].sort());
    for (const lock of [backup, prune, restore]) await lock.release();
  });

  it('of two acquirers racing, exactly one wins and the loser removes its lock', async () => {
    for (let round = 0; round < 4; round++) {
      const other = await Repository.open(new LocalStorage(dir), PASSPHRASE);
      const results = await Promise.allSettled([
        acquireLock(repo, { operation: 'prune', exclusive: true, timings }),
        acquireLock(other, { operation: 'prune', exclusive: true, timings }),
      ]);
      const won = results.filter((r): r is PromiseFulfilledResult<HeldLock> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected')!;
      expect(((lost as PromiseRejectedResult).reason as RepositoryError).code).toBe('locked');
      expect(lockFiles()).toEqual([won[0]!.value.id]);
      await won[0]!.value.release();
    }
  });

  it('an exclusive lock whose holder stopped refreshing does not block the next one', async () => {
    const dead = foreignHolder(past, { exclusive: true });
    await dead.write();
    const prune = await acquireLock(repo, { operation: 'prune', exclusive: true, timings });
    await prune.release();
    const live = foreignHolder(past, { exclusive: true });
    await live.write();
    live.startRefreshing();
    await expect(acquireLock(repo, { operation: 'prune', exclusive: true, timings })).rejects.toThrow('another prune or repair is running');
    await live.stop();
  });
});

describe("the worker's lock settings", () => {
  it('come from MERIDIAN_LOCK_REFRESH_SECONDS and MERIDIAN_LOCK_STALE_SECONDS, with one-line errors', () => {
    expect(lockTimingsFromEnv({})).toEqual({ refreshMs: 30_000, staleMs: 300_000 });
    expect(lockTimingsFromEnv({ MERIDIAN_LOCK_REFRESH_SECONDS: '0.5', MERIDIAN_LOCK_STALE_SECONDS: '2' })).toEqual({ refreshMs: 500, staleMs: 2000 });
    expect(() => lockTimingsFromEnv({ MERIDIAN_LOCK_REFRESH_SECONDS: 'soon' })).toThrow('MERIDIAN_LOCK_REFRESH_SECONDS must be a number of seconds above 0 (got "soon")');
    expect(() => lockTimingsFromEnv({ MERIDIAN_LOCK_REFRESH_SECONDS: '10', MERIDIAN_LOCK_STALE_SECONDS: '15' })).toThrow(
      'MERIDIAN_LOCK_STALE_SECONDS (15) must be at least twice MERIDIAN_LOCK_REFRESH_SECONDS (10)',
    );
  });
});
