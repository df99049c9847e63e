// Repository locks: a sealed JSON record under locks/ that every operation reading or writing the
// repository holds for its whole run, refreshed by a timer (same name, sequence + 1), so that a
// prune knows which operations may still use what it is about to delete. Staleness never compares
// another host's clock with ours: an observer calls a lock stale when its sequence has not changed
// for staleMs of the observer's own monotonic clock. A holder whose lock was removed, or that could
// not refresh it in time (a paused process, a storage outage), knows it may have been taken for
// stale: the lock is lost and the operation is aborted with a retryable error.

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { randomId } from './crypto.js';
import { ConcurrentChangeError, RepositoryError } from './errors.js';
import { jsonBytes, Repository } from './repository.js';
import { currentHost } from './snapshots.js';
import { isNotFound } from '../storage/storage.js';

export interface LockTimings {
  /** How often a holder rewrites its lock. */
  refreshMs: number;
  /** How long an observer sees a lock unchanged before calling it stale (at least 2 × refreshMs). */
  staleMs: number;
}

export const DEFAULT_LOCK_TIMINGS: LockTimings = { refreshMs: 30_000, staleMs: 300_000 };

const LockRecordSchema = z.object({
  kind: z.literal('lock'),
  id: z.string().regex(/^[0-9a-f]{64}$/),
  operation: z.string().min(1).max(64),
  exclusive: z.boolean(),
  host: z.string().max(255),
  pid: z.number().int(),
  workflowId: z.string().max(1000).optional(),
  createdAt: z.string(),
  refreshedAt: z.string(),
  sequence: z.number().int().nonnegative(),
  /** The holder's refresh interval: observers wait at least twice this before calling the lock stale. */
  refreshMs: z.number().int().positive(),
});
export type LockRecord = z.infer<typeof LockRecordSchema>;

/** A file of locks/ that cannot be opened or parsed: reported, never deleted without --force. */
export interface UnreadableLockFile {
  name: string;
  reason: string;
}

/** A document of locks/ (a lock, or another kind such as a prune plan), opened and parsed. */
export interface LockFolderDocument {
  name: string;
  kind: string;
  value: unknown;
}

export interface LockListing {
  locks: LockRecord[];
  unreadable: UnreadableLockFile[];
}

/** Kinds of locks/ documents that are not locks and that listLocks (and so unlock) leaves out: prune plans, a replica's state. */
const OTHER_KINDS = new Set(['prune-plan', 'replica-state']);

/** Every document of locks/, opened; files removed while listing are left out. */
export async function readLockFolder(repo: Repository): Promise<{ documents: LockFolderDocument[]; unreadable: UnreadableLockFile[] }> {
  const documents: LockFolderDocument[] = [];
  const unreadable: UnreadableLockFile[] = [];
  for await (const entry of repo.storage.list('locks')) {
    const read = await readLockFile(repo, entry.name);
    if (read === 'gone') continue;
    if ('reason' in read) unreadable.push(read);
    else documents.push(read);
  }
  return { documents, unreadable };
}

/** The locks of the repository (prune plans left out), and the files of locks/ that cannot be read. */
export async function listLocks(repo: Repository): Promise<LockListing> {
  const { documents, unreadable } = await readLockFolder(repo);
  const locks: LockRecord[] = [];
  for (const doc of documents) {
    if (OTHER_KINDS.has(doc.kind)) continue;
    const lock = parseLock(doc);
    if ('reason' in lock) unreadable.push(lock);
    else locks.push(lock);
  }
  return { locks, unreadable };
}

export interface AcquireOptions {
  /** What the holder does: backup, restore, verify, prune, repair-index… */
  operation: string;
  /** Exclusive against other exclusive locks only (prune, index repair). */
  exclusive?: boolean;
  workflowId?: string;
  timings?: LockTimings;
  /** Cancels the acquisition (and aborts the held lock's signal later on). */
  signal?: AbortSignal;
}

export interface HeldLock {
  readonly id: string;
  /** Aborted when the lock is lost (its reason a retryable error), or when the caller's signal is. */
  readonly signal: AbortSignal;
  readonly lost: boolean;
  /** The record as last written. */
  record(): LockRecord;
  /** Throws the lost-lock error when the lock is lost or went unrefreshed too long (a paused process); call before deleting or committing. */
  assertHeld(): void;
  /** Checks that the lock file is still there (not removed by an unlock); throws the lost-lock error otherwise. */
  confirm(): Promise<void>;
  /** Stops refreshing and deletes the lock (a lost one is not recreated). */
  release(): Promise<void>;
}

/**
 * How a writer's commit is fenced by the lock its run holds (activities/repositoryRun.ts builds it
 * from the held lock; core/archiver.ts calls it around the snapshot's commit).
 */
export interface CommitFence {
  /** Confirms the lock with a round trip to storage, immediately before the commit: a lost lock throws (retryably) and nothing is committed. */
  beforeCommit(): Promise<void>;
  /** Declares the result committed and checked for good: the loss of the lock from now on does not fail the run. */
  committed(): void;
}

/**
 * Writes a lock before the operation reads anything else of the repository and keeps it fresh.
 * A lock of the same workflow and operation is an earlier attempt's, which Temporal has given up
 * on: it is removed. An exclusive lock fails with a RepositoryError('locked') while another live
 * exclusive lock exists; of two acquirers racing, at most one wins.
 */
export async function acquireLock(repo: Repository, options: AcquireOptions): Promise<HeldLock> {
  const timings = options.timings ?? DEFAULT_LOCK_TIMINGS;
  checkTimings(timings);
  const lock = new RepositoryLock(repo, options, timings);
  await lock.write();
  lock.startRefreshing();
  try {
    await repo.assertKeysCurrent();
    const { locks } = await listLocks(repo);
    await removeEarlierAttempts(repo, lock.record(), locks);
    if (options.exclusive) await refuseOtherExclusive(repo, lock.record(), locks, timings, options.signal);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return lock;
}

/** Refuses timings under which a live holder could be taken for stale. */
export function checkTimings(timings: LockTimings): void {
  if (!(timings.refreshMs > 0) || !(timings.staleMs >= 2 * timings.refreshMs)) {
    throw new RepositoryError('invalid-argument', `lock timings: the stale age (${timings.staleMs} ms) must be at least twice the refresh interval (${timings.refreshMs} ms)`);
  }
}

const REMOVED = 'the lock was removed (by `meridian unlock` or a prune)';

export const lockLostError = (why: string) => new ConcurrentChangeError(`[locks] ${why} while running; the operation will start over`);

class RepositoryLock implements HeldLock {
  readonly id = randomId();
  private current: LockRecord;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private released = false;
  private lostError: ConcurrentChangeError | undefined;
  private readonly onCallerAbort = () => this.controller.abort(this.callerSignal!.reason);
  private readonly callerSignal: AbortSignal | undefined;
  /** When the last refresh that succeeded started, by both clocks (the monotonic one stops while the machine sleeps). */
  private confirmedAt = { monotonic: performance.now(), wall: Date.now() };

  constructor(
    private readonly repo: Repository,
    options: AcquireOptions,
    private readonly timings: LockTimings,
  ) {
    const now = new Date().toISOString();
    this.current = {
      kind: 'lock',
      id: this.id,
      operation: options.operation,
      exclusive: options.exclusive ?? false,
      host: currentHost(),
      pid: process.pid,
      ...(options.workflowId !== undefined ? { workflowId: options.workflowId } : {}),
      createdAt: now,
      refreshedAt: now,
      sequence: 0,
      refreshMs: Math.max(1, Math.ceil(timings.refreshMs)),
    };
    this.callerSignal = options.signal;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.lostError !== undefined;
  }

  record(): LockRecord {
    return this.current;
  }

  async write(): Promise<void> {
    const started = { monotonic: performance.now(), wall: Date.now() };
    await this.repo.storage.put({ type: 'locks', name: this.id }, this.repo.sealFile(jsonBytes(this.current)));
    this.confirmedAt = started;
  }

  /**
   * Follows the caller's signal, and refreshes every refreshMs from the start of the last write
   * (a slow write does not push the next one back).
   */
  startRefreshing(): void {
    if (this.callerSignal?.aborted) this.onCallerAbort();
    this.callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        const started = performance.now();
        this.refreshing = this.refresh().finally(() => {
          this.refreshing = undefined;
          if (!this.released && !this.lost) schedule(Math.max(0, this.timings.refreshMs - (performance.now() - started)));
        });
      }, delay);
      this.timer.unref();
    };
    schedule(Math.max(0, this.timings.refreshMs - (performance.now() - this.confirmedAt.monotonic)));
  }

  assertHeld(): void {
    if (!this.lost && this.silentFor() >= this.lostAfterMs()) this.lose(`the lock was not refreshed for ${(this.silentFor() / 1000).toFixed(1)} s (a paused process or a storage outage) and may have been taken for stale`);
    if (this.lostError) throw this.lostError;
  }

  async confirm(): Promise<void> {
    await this.refreshing;
    this.assertHeld();
    try {
      await this.repo.storage.stat({ type: 'locks', name: this.id });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.lose(REMOVED);
    }
    this.assertHeld();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
    await this.refreshing;
    await deleteLockFile(this.repo, this.id);
  }

  /**
   * Rewrites the lock unless it was removed. A refresh that starts, or ends, after the lock went
   * unconfirmed for 2 × refreshMs may have crossed an unlock (which waits that long before removing)
   * and recreated what it removed: the lock is lost, and what this refresh wrote is deleted.
   */
  private async refresh(): Promise<void> {
    const started = { monotonic: performance.now(), wall: Date.now() };
    try {
      this.assertHeld();
      await this.repo.storage.stat({ type: 'locks', name: this.id });
      const next = { ...this.current, sequence: this.current.sequence + 1, refreshedAt: new Date().toISOString() };
      await this.repo.storage.put({ type: 'locks', name: this.id }, this.repo.sealFile(jsonBytes(next)));
      this.current = next;
      if (this.silentFor() >= this.lostAfterMs()) {
        await deleteLockFile(this.repo, this.id).catch(() => undefined);
        this.assertHeld();
      }
      this.confirmedAt = started;
    } catch (err) {
      if (isNotFound(err)) this.lose(REMOVED);
      // Any other failure (storage unreachable) is retried at the next tick; assertHeld gives up in time.
    }
  }

  /** Time since the last confirmed refresh started, by the clock that says longer. */
  private silentFor(): number {
    return Math.max(performance.now() - this.confirmedAt.monotonic, Date.now() - this.confirmedAt.wall);
  }

  private lostAfterMs(): number {
    return 2 * this.timings.refreshMs;
  }

  private lose(why: string): void {
    if (this.lostError) return;
    this.lostError = lockLostError(why);
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(this.lostError);
  }
}

/** Removes the locks that earlier attempts of this workflow's operation left (killed workers). */
async function removeEarlierAttempts(repo: Repository, own: LockRecord, locks: LockRecord[]): Promise<void> {
  if (own.workflowId === undefined) return;
  for (const lock of locks) {
    if (lock.id === own.id || lock.workflowId !== own.workflowId || lock.operation !== own.operation) continue;
    await deleteLockFile(repo, lock.id);
  }
}

/**
 * Fails when another exclusive lock is live. Two acquirers that wrote at about the same time may
 * see each other: the one with the smaller id stays while the other steps back; it wins only once
 * the other is gone. An acquirer that saw no other exclusive lock wins at once: any later one sees
 * its lock. A lock whose refreshedAt is older than staleMs by our clock is watched for 2 × its
 * refresh interval (a live holder rewrites it within that time) and ignored if unchanged.
 */
async function refuseOtherExclusive(repo: Repository, own: LockRecord, locks: LockRecord[], timings: LockTimings, signal?: AbortSignal): Promise<void> {
  let others = locks.filter((l) => l.exclusive && l.id !== own.id && !(own.workflowId !== undefined && l.workflowId === own.workflowId && l.operation === own.operation));
  if (others.length === 0) return;
  const oldLooking = others.filter((l) => looksOld(l, timings));
  if (oldLooking.length > 0) {
    const changed = await watchForChange(repo, oldLooking, timings, signal);
    others = others.filter((l) => !oldLooking.includes(l) || changed.has(l.id));
  }
  if (others.length === 0) return;
  if (others.every((l) => own.id < l.id)) {
    // Those racing us step back at once: wait a little for them to go.
    for (let round = 0; round < 10 && others.length > 0; round++) {
      await sleep(100, undefined, { signal });
      const present = new Set((await listLocks(repo)).locks.map((l) => l.id));
      others = others.filter((l) => present.has(l.id));
    }
    if (others.length === 0) return;
  }
  const other = others[0]!;
  throw new RepositoryError(
    'locked',
    `[locks] another prune or repair is running: ${describeLock(other)}; try again when it is done (\`meridian unlock\` removes its lock if it is stale)`,
  );
}

/** "prune on host-a (pid 42, workflow …), refreshed 2026-…". */
export function describeLock(lock: LockRecord): string {
  const workflow = lock.workflowId !== undefined ? `, workflow ${lock.workflowId}` : '';
  return `${lock.operation} on ${lock.host} (pid ${lock.pid}${workflow}), last refreshed at ${lock.refreshedAt}`;
}

/** Whether the lock's refreshedAt is older than staleMs by our clock (unparsable: yes). A hint only: clocks differ. */
export function looksOld(lock: LockRecord, timings: LockTimings, now = Date.now()): boolean {
  const refreshed = Date.parse(lock.refreshedAt);
  return !(now - refreshed < timings.staleMs);
}

/**
 * Watches locks for 2 × max(our, their) refresh interval; returns the ids of those that changed
 * (rewritten with another sequence, or removed) in that time.
 */
export async function watchForChange(repo: Repository, locks: LockRecord[], timings: LockTimings, signal?: AbortSignal): Promise<Set<string>> {
  const longest = Math.max(timings.refreshMs, ...locks.map((l) => l.refreshMs));
  await sleep(2 * longest, undefined, { signal });
  const changed = new Set<string>();
  for (const lock of locks) {
    const now = await readLockFile(repo, lock.id);
    if (now === 'gone' || 'reason' in now) {
      changed.add(lock.id);
      continue;
    }
    const parsed = parseLock(now);
    if ('reason' in parsed || parsed.sequence !== lock.sequence) changed.add(lock.id);
  }
  return changed;
}

export interface AwaitLocksOptions {
  staleMs: number;
  signal?: AbortSignal;
  /** Called on every look with the locks still waited for. */
  onWait?: (waiting: LockRecord[]) => void;
  /** How often to look; defaults to a tenth of staleMs, at most 1 s. */
  pollMs?: number;
}

export interface AwaitLocksResult {
  released: string[];
  stale: string[];
}

/**
 * Waits until every lock of `ids` is gone or stale: its sequence unchanged for max(staleMs,
 * 2 × its holder's refresh interval) on this process's monotonic clock, whatever its refreshedAt.
 */
export async function awaitLocks(repo: Repository, ids: readonly string[], options: AwaitLocksOptions): Promise<AwaitLocksResult> {
  const pollMs = options.pollMs ?? Math.min(1000, options.staleMs / 10);
  const seen = new Map<string, { value: string; since: number; record?: LockRecord }>();
  const result: AwaitLocksResult = { released: [], stale: [] };
  let waiting = [...new Set(ids)];
  for (;;) {
    const still: string[] = [];
    for (const id of waiting) {
      const read = await readLockFile(repo, id);
      if (read === 'gone') {
        result.released.push(id);
        continue;
      }
      const parsed = 'reason' in read ? read : parseLock(read);
      const record = 'reason' in parsed ? undefined : parsed;
      const value = record ? String(record.sequence) : `unreadable: ${(parsed as UnreadableLockFile).reason}`;
      const now = performance.now();
      const last = seen.get(id);
      const observed = last && last.value === value ? last : { value, since: now, record };
      seen.set(id, observed);
      const staleAfter = Math.max(options.staleMs, 2 * (record?.refreshMs ?? 0));
      if (now - observed.since >= staleAfter) result.stale.push(id);
      else still.push(id);
    }
    waiting = still;
    options.onWait?.(waiting.flatMap((id) => seen.get(id)?.record ?? []));
    if (waiting.length === 0) return result;
    await sleep(pollMs, undefined, { signal: options.signal });
  }
}

/** Deletes a file of locks/ (gone already: fine). */
export async function deleteLockFile(repo: Repository, name: string): Promise<void> {
  try {
    await repo.storage.delete({ type: 'locks', name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

async function readLockFile(repo: Repository, name: string): Promise<LockFolderDocument | UnreadableLockFile | 'gone'> {
  let stored: Uint8Array;
  try {
    stored = await repo.storage.get({ type: 'locks', name });
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(repo.openFile(stored, `lock file ${name}`)).toString('utf8'));
  } catch (err) {
    if (err instanceof RepositoryError || err instanceof SyntaxError) return { name, reason: err instanceof SyntaxError ? 'not JSON' : 'cannot be opened with the repository key' };
    throw err;
  }
  const kind = z.object({ kind: z.string() }).safeParse(value);
  if (!kind.success) return { name, reason: 'no kind' };
  return { name, kind: kind.data.kind, value };
}

function parseLock(doc: LockFolderDocument): LockRecord | UnreadableLockFile {
  if (doc.kind !== 'lock') return { name: doc.name, reason: `unknown kind "${doc.kind.slice(0, 40)}"` };
  const parsed = LockRecordSchema.safeParse(doc.value);
  if (!parsed.success) return { name: doc.name, reason: `malformed lock: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim() };
  if (parsed.data.id !== doc.name) return { name: doc.name, reason: `lock record of another file (${parsed.data.id.slice(0, 12)}…)` };
  return parsed.data;
}
