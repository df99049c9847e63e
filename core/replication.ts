// One replication pass: copies what a replica lacks of its primary, byte for byte, in the order
// keys and archived WAL → packs → index → snapshots and journal segments, so a replica never shows
// a snapshot or a point in time whose data it lacks, and
// removes (after their grace) the files the primary no longer has. Under a shared lock on the
// primary (a prune that marks later waits for the pass) and an exclusive one on the replica (two
// replicators never interleave: the second defers). A pass killed midway is resumed by the next
// one without sending finished files again: it re-lists the small folders and skips every pack
// already on the replica. A non-merge pass refuses a target that is writable (no replica-state
// doc: promoted by a failover, or never made a replica) and a source that is a replica, so a stale
// pass never tombstones what a newly active member wrote; a merge pass (a failover's resync) only
// adds what the target lacks.

import { performance } from 'node:perf_hooks';
import { forEachConcurrently } from './concurrently.js';
import { RepositoryError } from './errors.js';
import { acquireLock, HeldLock, LockTimings } from './locks.js';
import { readPrunePlans } from './prunePlan.js';
import { applyDeletions } from './replicaDeletes.js';
import { assertReplicaOf } from './replicaIdentity.js';
import { CopyPlan, planCopy } from './replicaPlan.js';
import { contentMismatch } from './replicaContent.js';
import { readReplicaState, refuseReplica, writeReplicaState } from './replicaState.js';
import { Behind, PassResult, REPLICATED_TYPES, ReplicaStateDoc, ReplicatedType } from './replicationTypes.js';
import { Repository } from './repository.js';
import { Handle, isNotFound } from '../storage/storage.js';

export interface PassOptions {
  replicaName: string;
  /** Files gone from the primary are deleted from the replica this long after a pass first saw them gone. */
  graceHours: number;
  /** Also list data/ on both sides (else only on the first pass, daily, or when an index file vanished on the primary). */
  full?: boolean;
  /** Default all; the sync barrier passes ['keys', 'data', 'index']: no snapshots, journal or WAL, and no deletions happen. */
  kinds?: readonly ReplicatedType[];
  /** Files copied at once; default 8. */
  concurrency?: number;
  /** The replicator's clock, for tombstones and their grace. */
  now?: () => Date;
  signal?: AbortSignal;
  /** Stops at a file boundary after this long, with `partial: true`. */
  maxDurationMs?: number;
  onProgress?: (p: { phase: ReplicatedType | 'deletes'; files: number; bytes: number }) => void;
  /** 'held': the caller (the barrier, under the backup's own lock) takes none. Default 'take'. */
  lock?: 'take' | 'held';
  workflowId?: string;
  lockTimings?: LockTimings;
  /**
   * A failover's resync (core/failover.ts): every kind, copies what the target lacks, deletes
   * nothing, writes no replica-state doc, and shares the target's lock like a backup. The target
   * is writable (the active member) and the source a replica: the pass guard does not apply.
   */
  merge?: boolean;
  /** The graceful switch's last pass: the source was just made a replica under the switch's lock. */
  sourceDemoted?: boolean;
}

export const DEFAULT_REPLICATION_CONCURRENCY = 8;
/** A pass lists data/ on both sides at least this often. */
const FULL_PASS_EVERY_MS = 24 * 3_600_000;

export async function replicatePass(primary: Repository, replica: Repository, options: PassOptions): Promise<PassResult> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const kinds = new Set(options.kinds ?? REPLICATED_TYPES);
  const everything = REPLICATED_TYPES.every((t) => kinds.has(t));
  await assertReplicaOf(primary, replica.storage, replica.config.id);

  const locks = options.lock === 'held' ? { replica: undefined, signals: [], release: async () => undefined } : await takeLocks(primary, replica, options);
  if ('deferred' in locks) return deferredResult(options.replicaName, locks.deferred, started, await measureBehind(primary, replica, kinds, options));
  try {
    const signal = AbortSignal.any([...(options.signal ? [options.signal] : []), ...locks.signals]);
    // A prune marked after our lock waits for it; one marked before may be sweeping what we would copy.
    // (Under a held lock the caller, the sync barrier, waits for no plan: one that sweeps meanwhile makes the copy miss a pack and fail, and the barrier retries.)
    const prune = options.lock === 'held' ? undefined : (await readPrunePlans(primary)).plans.find((plan) => plan.state === 'marked' || plan.state === 'sweeping');
    if (prune) return deferredResult(options.replicaName, `prune ${prune.id.slice(0, 12)} is in progress on the primary`, started, await measureBehind(primary, replica, kinds, options));

    const state = everything && !options.merge ? await guardedReplicaState(primary, replica, options) : undefined;
    const plan = await planCopy(primary, replica, {
      kinds,
      concurrency: options.concurrency ?? DEFAULT_REPLICATION_CONCURRENCY,
      wantFull: (p, r) => options.full === true || (state !== undefined && needsFullPass(state, p.index, r.index, now())),
    });
    const copy = new PassCopy(primary, replica, plan, kinds, options, signal);
    await copy.run();
    const result: PassResult = {
      replica: options.replicaName,
      kind: plan.full ? 'full' : 'incremental',
      copied: copy.copied,
      skippedPresent: plan.packsPresent + copy.skippedPresent,
      deleted: { files: 0, bytes: 0 },
      pending: { files: 0, bytes: 0 },
      behind: remainingBehind(plan, copy.done),
      durationMs: 0,
      ...(copy.partial ? { partial: true } : {}),
    };
    if (state) {
      const complete = !copy.partial && plan.damaged.length === 0 && copy.damaged.length === 0;
      const deletions = await applyDeletions(primary, replica, plan, state, {
        graceHours: options.graceHours,
        now: now(),
        deleteDue: complete,
        keysCopied: plan.keys.every((key) => copy.done.has(`keys/${key.name}`)),
        ownLock: locks.replica,
        lockTimings: options.lockTimings,
        signal,
        onDeleted: (files, bytes) => options.onProgress?.({ phase: 'deletes', files, bytes }),
      });
      result.deleted = deletions.deleted;
      result.pending = deletions.pending;
      const next: ReplicaStateDoc = { ...state, pending: deletions.tombstones, ...(plan.full && complete ? { lastFullAt: now().toISOString() } : {}) };
      locks.replica?.assertHeld();
      await writeReplicaState(replica, next);
    }
    const damage = [...plan.damaged, ...copy.damaged];
    if (damage.length > 0) {
      const first = damage[0]!;
      throw new RepositoryError(
        'integrity',
        `[replication] ${damage.length} file(s) of the primary ${primary.storage.location} failed their check and were not copied to ${options.replicaName} (first: ${first.type} ${first.name.slice(0, 12)}: ${first.reason}); nothing that depends on them was copied: run meridian verify on the primary`,
      );
    }
    result.durationMs = Math.round(performance.now() - started);
    return result;
  } finally {
    await locks.release();
  }
}

/** The target's replica-state doc, after the pass guard: the target is a replica, the source is not. */
async function guardedReplicaState(primary: Repository, replica: Repository, options: PassOptions): Promise<ReplicaStateDoc> {
  const state = await readReplicaState(replica);
  if (!state) {
    throw new RepositoryError('not-a-replica', `[replication] ${options.replicaName} (${replica.storage.location}) is writable: promoted by failover, or never made a replica; refusing to replicate to it`);
  }
  if (!options.sourceDemoted) await refuseReplica(primary, 'replication');
  return state;
}

/** A full pass when none completed yet, the last is a day old, or an index file vanished on the primary that is not a tombstone yet (a prune ran). */
function needsFullPass(state: ReplicaStateDoc, primaryIndex: ReadonlyMap<string, unknown>, replicaIndex: ReadonlyMap<string, unknown>, now: Date): boolean {
  if (state.lastFullAt === undefined || now.getTime() - Date.parse(state.lastFullAt) >= FULL_PASS_EVERY_MS) return true;
  const tombstoned = new Set(state.pending.filter((t) => t.type === 'index').map((t) => t.name));
  for (const name of replicaIndex.keys()) if (!primaryIndex.has(name) && !tombstoned.has(name)) return true;
  return false;
}

type Locks = { replica: HeldLock | undefined; signals: AbortSignal[]; release: () => Promise<void> } | { deferred: string };

/**
 * A shared lock on the primary, then an exclusive one on the replica. Each replica of a set gets
 * its own lock identity, so that passes to two replicas from one workflow do not take each other's
 * primary lock for an earlier attempt's.
 */
async function takeLocks(primary: Repository, replica: Repository, options: PassOptions): Promise<Locks> {
  const common = {
    operation: 'replicate',
    timings: options.lockTimings,
    signal: options.signal,
    ...(options.workflowId !== undefined ? { workflowId: `${options.workflowId}:${options.replicaName}` } : {}),
  };
  const onPrimary = await acquireLock(primary, common);
  let onReplica: HeldLock;
  try {
    onReplica = await acquireLock(replica, { ...common, exclusive: options.merge !== true });
  } catch (err) {
    await onPrimary.release();
    if (err instanceof RepositoryError && err.code === 'locked') return { deferred: `another replication holds ${options.replicaName}: ${err.message}` };
    throw err;
  }
  return {
    replica: onReplica,
    signals: [onPrimary.signal, onReplica.signal],
    release: async () => {
      await Promise.all([onReplica.release(), onPrimary.release()]);
    },
  };
}

/** What the replica lacks, for a pass that copies nothing (listings and the new index files only). */
async function measureBehind(primary: Repository, replica: Repository, kinds: ReadonlySet<ReplicatedType>, options: PassOptions): Promise<Behind> {
  const plan = await planCopy(primary, replica, { kinds, concurrency: options.concurrency ?? DEFAULT_REPLICATION_CONCURRENCY, wantFull: () => false });
  return remainingBehind(plan, new Set());
}

/**
 * What the replica still lacks of a plan once the files of `done` are there. A pack's size is
 * the listing's in a full pass, else the bytes of its blobs (its header, ~1% more, left out).
 */
function remainingBehind(plan: CopyPlan, done: ReadonlySet<string>): Behind {
  const left = <T extends { name: string }>(type: ReplicatedType, files: T[]) => files.filter((f) => !done.has(`${type}/${f.name}`));
  const snapshots = left('snapshots', plan.snapshots);
  const packs = left('data', plan.packs);
  const small = [...left('keys', plan.keys), ...left('wal', plan.wal), ...left('index', plan.index), ...snapshots, ...left('journal', plan.journal)];
  const behind: Behind = {
    snapshots: snapshots.length,
    files: small.length + packs.length,
    bytes: small.reduce((sum, f) => sum + f.size, 0) + packs.reduce((sum, p) => sum + (p.size ?? p.dataEnd), 0),
  };
  if (snapshots.length > 0) {
    behind.oldestMissingAt = snapshots[0]!.mtime.toISOString();
    behind.newestMissingAt = snapshots[snapshots.length - 1]!.mtime.toISOString();
  }
  return behind;
}

function deferredResult(replica: string, why: string, started: number, behind: Behind): PassResult {
  return {
    replica,
    kind: 'incremental',
    deferred: why,
    copied: { files: 0, bytes: 0, byType: { keys: 0, data: 0, index: 0, snapshots: 0, journal: 0, wal: 0 } },
    skippedPresent: 0,
    deleted: { files: 0, bytes: 0 },
    pending: { files: 0, bytes: 0 },
    behind,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The copies of one pass, in order, with its counters and what it could not copy. */
class PassCopy {
  readonly copied: PassResult['copied'] = { files: 0, bytes: 0, byType: { keys: 0, data: 0, index: 0, snapshots: 0, journal: 0, wal: 0 } };
  skippedPresent = 0;
  partial = false;
  readonly damaged: CopyPlan['damaged'] = [];
  /** Packs now on the replica (copied, or found there). */
  private readonly packsThere = new Set<string>();
  /** `type/name` of every file of the plan now on the replica, or gone from the primary. */
  readonly done = new Set<string>();
  private readonly deadline: number;
  private readonly concurrency: number;

  constructor(
    private readonly primary: Repository,
    private readonly replica: Repository,
    private readonly plan: CopyPlan,
    private readonly kinds: ReadonlySet<ReplicatedType>,
    private readonly options: PassOptions,
    private readonly signal: AbortSignal,
  ) {
    this.deadline = options.maxDurationMs !== undefined ? performance.now() + options.maxDurationMs : Infinity;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_REPLICATION_CONCURRENCY);
  }

  async run(): Promise<void> {
    if (this.kinds.has('keys')) await this.each('keys', this.plan.keys, (f) => this.copyFile({ type: 'keys', name: f.name }));
    await this.each('wal', this.plan.wal, (f) => this.copyFile({ type: 'wal', name: f.name }));
    await this.each('data', this.plan.packs, (pack) => this.copyPack(pack.name));
    if (this.partial) return;
    const planned = new Set(this.plan.packs.map((p) => p.name));
    const copyable = this.plan.index.filter((f) => f.packs.every((id) => this.packsThere.has(id) || !planned.has(id)));
    await this.each('index', copyable, (f) => this.copyFile({ type: 'index', name: f.name }, f.bytes));
    // A snapshot or a journal segment may use any index file: none is copied while one the replica lacks could not be.
    const lacking = this.plan.damaged.some((d) => !this.plan.replica.index.has(d.name));
    if (this.partial || copyable.length < this.plan.index.length || lacking) return;
    await this.each('snapshots', this.plan.snapshots, (f) => this.copyFile({ type: 'snapshots', name: f.name }));
    await this.each('journal', this.plan.journal, (f) => this.copyFile({ type: 'journal', name: f.name }));
  }

  private async each<T>(type: ReplicatedType, items: readonly T[], copy: (item: T) => Promise<void>): Promise<void> {
    await forEachConcurrently(items, this.concurrency, async (item) => {
      if (this.partial || performance.now() >= this.deadline) {
        this.partial = true;
        return;
      }
      this.signal.throwIfAborted();
      await copy(item);
      this.options.onProgress?.({ phase: type, files: this.copied.files, bytes: this.copied.bytes });
    });
  }

  private async copyPack(name: string): Promise<void> {
    if (!this.plan.packsKnownMissing && (await this.present({ type: 'data', name }))) {
      this.skippedPresent += 1;
      this.packsThere.add(name);
      this.done.add(`data/${name}`);
      return;
    }
    await this.copyFile({ type: 'data', name });
  }

  private async present(h: Handle): Promise<boolean> {
    try {
      await this.replica.storage.stat(h);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Gets, checks and puts one file; one gone from the primary is skipped, one that fails its check is recorded. */
  private async copyFile(h: Handle, read?: Uint8Array): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = read ?? (await this.primary.storage.get(h));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Snapshots, journal segments, WAL and index files go when forget, WAL retention or a prune removes them; a pack should not while we hold our lock.
      if (h.type === 'data') this.damaged.push({ type: 'data', name: h.name, reason: 'it is missing on the primary' });
      else this.done.add(`${h.type}/${h.name}`);
      return;
    }
    const mismatch = contentMismatch(this.primary, h, bytes);
    if (mismatch) {
      this.damaged.push({ type: h.type as ReplicatedType, name: h.name, reason: mismatch });
      return;
    }
    this.signal.throwIfAborted();
    await this.replica.storage.put(h, bytes);
    const type = h.type as ReplicatedType;
    this.copied.files += 1;
    this.copied.bytes += bytes.length;
    this.copied.byType[type] += 1;
    this.done.add(`${type}/${h.name}`);
    if (type === 'data') this.packsThere.add(h.name);
  }
}
