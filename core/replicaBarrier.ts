// The barrier of a sync or quorum backup (README "Replication"): after the run's packs and index
// files are on the primary and before its snapshot is committed, every replica is caught up on
// data (keys, packs, index: the caller's catch-up) in parallel, a failing one retried with
// backoff, until the set's rule holds (sync: every replica; quorum K: the primary and K − 1
// replicas). While it does not, a one-line reason says who is waited for and why; after the
// timeout the backup fails with 'replica-unavailable' and no repository got the snapshot. Then
// the snapshot file goes to the admitted replicas first and the primary last (its file is the
// acknowledgement); an undo withdraws it from them again.

import { setTimeout as sleep } from 'node:timers/promises';
import { RepositoryError } from './errors.js';
import type { Repository } from './repository.js';
import { isNotFound } from '../storage/storage.js';

export type BarrierMode = 'sync' | 'quorum';

/** A replica of the set: opened when first needed (a replica down at the start is waited for like one that fails later). */
export interface BarrierReplica {
  name: string;
  region?: string;
  open(): Promise<Repository>;
}

export interface ReplicaBarrierOptions {
  set: string;
  mode: BarrierMode;
  /** quorum: K repositories, the primary counted (2 ≤ K ≤ 1 + replicas). */
  quorum?: number;
  /** How long the barrier waits for the rule to hold, and then for the snapshot's copies. */
  timeoutMs: number;
  /** The first wait after a replica's failure, doubled after each next one up to 30 s; default 500 ms. */
  retryMs?: number;
  replicas: BarrierReplica[];
  /** Copies what the replica lacks of the primary's keys, packs and index files; resolves once it holds them all. */
  catchUp(replica: Repository, name: string, signal: AbortSignal): Promise<unknown>;
}

export interface BarrierOutcome {
  /** Replicas that held the data, and got the snapshot file. */
  heldBy: string[];
  /** Replicas that did not: asynchronous replication brings them up. */
  lagging: string[];
  waitedMs: number;
}

/** Errors that another attempt cannot cure: the replica is given up at once. */
const PERMANENT = new Set(['not-a-replica', 'not-a-repository', 'wrong-passphrase', 'replica-read-only', 'refused']);
const DEFAULT_FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** How long an undo waits for a replica's answer, when the barrier's deadline is nearer. */
const WITHDRAW_MS = 30_000;

interface ReplicaProgress {
  replica: BarrierReplica;
  repo?: Repository;
  held: boolean;
  lastError?: string;
  permanent?: unknown;
}

export class ReplicaBarrier {
  private readonly progress: ReplicaProgress[];
  private readonly needed: number;
  private startedAt: number | undefined;
  private deadline = 0;
  private waitedMs = 0;
  private published: ReplicaProgress[] = [];
  private closed = false;

  constructor(private readonly options: ReplicaBarrierOptions) {
    const total = options.replicas.length;
    if (total === 0) throw new RepositoryError('invalid-argument', `[replication] set ${options.set} has no replicas`);
    const k = options.mode === 'sync' ? total + 1 : (options.quorum ?? total + 1);
    if (!(k >= 2 && k <= total + 1)) throw new RepositoryError('invalid-argument', `[replication] set ${options.set}: quorum ${k} is not between 2 and ${total + 1}`);
    this.needed = k - 1;
    this.progress = options.replicas.map((replica) => ({ replica, held: false }));
  }

  /**
   * Waits until enough replicas hold the primary's data, reporting why while they do not (undefined
   * once they do). Throws 'replica-unavailable' after the timeout, the permanent error of a replica
   * when the rule can no longer hold, and the signal's reason when it aborts (the lock lost).
   */
  async awaitData(signal: AbortSignal | undefined, onWaiting: (reason: string | undefined) => void): Promise<void> {
    this.startedAt = Date.now();
    this.deadline = this.startedAt + this.options.timeoutMs;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), Math.max(0, this.deadline - Date.now()));
    const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const report = () => onWaiting(this.ruleHolds() ? undefined : this.waitingReason());
    report();
    const loops = Promise.all(
      this.progress.map((p) =>
        this.catchUpUntilHeld(p, both, () => {
          if (this.ruleHolds() || this.ruleUnreachable()) stop.abort();
          report();
        }),
      ),
    );
    try {
      // Not waiting for every loop: a replica whose storage hangs must not hold back a quorum or the timeout.
      await Promise.race([loops, once(both)]);
    } finally {
      clearTimeout(timer);
      this.waitedMs = Date.now() - this.startedAt;
    }
    signal?.throwIfAborted();
    if (this.ruleHolds()) return;
    const permanent = this.progress.find((p) => p.permanent !== undefined)?.permanent;
    if (permanent !== undefined && this.ruleUnreachable()) throw permanent;
    throw new RepositoryError('replica-unavailable', `[replication] set ${this.options.set}: gave up after ${seconds(this.options.timeoutMs)} waiting for ${this.unmet()}; no repository got the snapshot`);
  }

  /**
   * Writes the snapshot file to every admitted replica, each retried until the deadline; one that
   * still fails fails the backup, and the copies already written are withdrawn.
   */
  async publishSnapshot(name: string, stored: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.published = this.progress.filter((p) => p.held);
    const deadline = Math.max(this.deadline, Date.now() + this.firstRetryMs());
    const failed: string[] = [];
    await Promise.all(
      this.published.map((p) =>
        byDeadline(this.withRetries(deadline, signal, () => p.repo!.storage.put({ type: 'snapshots', name }, stored)), deadline).catch((err: unknown) => {
          failed.push(`${this.label(p)}: ${reasonOf(err)}`);
        }),
      ),
    );
    if (failed.length === 0) return;
    await this.withdrawSnapshot(name).catch(() => undefined);
    signal?.throwIfAborted();
    throw new RepositoryError('replica-unavailable', `[replication] set ${this.options.set}: the snapshot could not be written to ${failed.join('; ')}; no repository kept it`);
  }

  /**
   * Removes the snapshot file from the replicas it was published to (the backup's undo), each
   * given a retry's time at least; a copy left behind is complete (that replica held the data).
   */
  async withdrawSnapshot(name: string): Promise<void> {
    const deadline = Math.max(this.deadline, Date.now() + WITHDRAW_MS);
    const published = this.published;
    this.published = [];
    await Promise.all(
      published.map((p) =>
        byDeadline(
          p.repo!.storage.delete({ type: 'snapshots', name }).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          }),
          deadline,
        ),
      ),
    );
  }

  outcome(): BarrierOutcome {
    return {
      heldBy: this.progress.filter((p) => p.held).map((p) => p.replica.name),
      lagging: this.progress.filter((p) => !p.held).map((p) => p.replica.name),
      waitedMs: this.waitedMs,
    };
  }

  /** Closes the storages of the replicas opened (one still opening is closed when it is). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.progress.map((p) => p.repo?.storage.close().catch(() => undefined)));
  }

  private async catchUpUntilHeld(p: ReplicaProgress, signal: AbortSignal, changed: () => void): Promise<void> {
    let wait = this.firstRetryMs();
    while (!signal.aborted) {
      try {
        if (!p.repo) {
          const repo = await p.replica.open();
          if (this.closed) return void (await repo.storage.close());
          p.repo = repo;
        }
        await this.options.catchUp(p.repo, p.replica.name, signal);
        if (signal.aborted) return; // stopped part way: it may not hold everything
        p.held = true;
        p.lastError = undefined;
        changed();
        return;
      } catch (err) {
        if (signal.aborted) return;
        p.lastError = reasonOf(err);
        if (err instanceof RepositoryError && PERMANENT.has(err.code)) {
          p.permanent = err;
          changed();
          return;
        }
        changed();
      }
      await sleep(Math.min(wait, Math.max(0, this.deadline - Date.now())), undefined, { signal }).catch(() => undefined);
      wait = Math.min(wait * 2, MAX_RETRY_MS);
    }
  }

  private async withRetries(deadline: number, signal: AbortSignal | undefined, write: () => Promise<void>): Promise<void> {
    let wait = this.firstRetryMs();
    for (;;) {
      signal?.throwIfAborted();
      try {
        await write();
        return;
      } catch (err) {
        if (Date.now() + wait > deadline) throw err;
      }
      await sleep(wait, undefined, { signal });
      wait = Math.min(wait * 2, MAX_RETRY_MS);
    }
  }

  private firstRetryMs(): number {
    return this.options.retryMs ?? DEFAULT_FIRST_RETRY_MS;
  }

  private heldCount(): number {
    return this.progress.filter((p) => p.held).length;
  }

  private ruleHolds(): boolean {
    return this.heldCount() >= this.needed;
  }

  private ruleUnreachable(): boolean {
    return this.progress.filter((p) => p.permanent === undefined).length < this.needed;
  }

  /** "waiting for replica gis-us (us-east1): storage unreachable: … (2 of 3 hold the data; sync needs 3) since 07:40:10Z, giving up at 07:50:10Z". */
  private waitingReason(): string {
    return `waiting for ${this.unmet()} since ${clock(this.startedAt ?? Date.now())}, giving up at ${clock(this.deadline)}`;
  }

  /** The replicas not holding the data yet, why, and the count against the rule. */
  private unmet(): string {
    const waitingFor = this.progress.filter((p) => !p.held);
    const who = waitingFor.map((p) => `${this.label(p)}: ${p.lastError ?? 'copying'}`).join('; ');
    const total = this.progress.length + 1;
    const rule = this.options.mode === 'sync' ? `sync needs ${total}` : `quorum needs ${this.needed + 1}`;
    return `replica${waitingFor.length === 1 ? '' : 's'} ${who} (${this.heldCount() + 1} of ${total} hold the data; ${rule})`;
  }

  private label(p: ReplicaProgress): string {
    return p.replica.region !== undefined ? `${p.replica.name} (${p.replica.region})` : p.replica.name;
  }
}

/** Resolves when the signal aborts. */
function once(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/** The promise, or a rejection once the deadline passes without its answer (a storage that hangs). */
async function byDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer by ${clock(deadline)}`)), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of an error's message, bounded: it goes into heartbeats and a one-line status. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n')[0]!;
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)}Z`;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
