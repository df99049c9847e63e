// Prune: reclaims the space of blobs no snapshot uses, in two phases that never block backups
// and never trust a clock (see "How prune stays safe" in the README). Under an exclusive lock it
// first finishes a plan a killed prune left, then marks: walks every snapshot, decides per pack
// (core/packUsage.ts), repacks, and writes the plan naming the condemned packs. It waits until
// every lock that existed then is released or stale, and sweeps (core/pruneSweep.ts). A dry run
// only decides, and writes nothing (not even a lock). A key rotation's prune (`reseal`) also
// repacks every pack sealed under a retired key, sealing its blobs again (core/keyRotation.ts).

import { BlobReader } from './blobReader.js';
import { invalidArgument } from './errors.js';
import { consolidatedFileCount, consolidateIndex } from './indexConsolidation.js';
import { acquireLock, awaitLocks, DEFAULT_LOCK_TIMINGS, HeldLock, listLocks, LockTimings } from './locks.js';
import { MasterIndex } from './masterIndex.js';
import { decidePacks, PackDecisions } from './packUsage.js';
import { newPrunePlanId, PrunePlan, readPrunePlans, savePrunePlan } from './prunePlan.js';
import { sweep, SweepPhase, SweepResult } from './pruneSweep.js';
import { addJournalBlobs, addUsedBlobs, readSnapshots } from './reachability.js';
import { repack } from './repack.js';
import { Repository } from './repository.js';
import { refuseReplica } from './replicaState.js';
import { DEFAULT_MAX_UNUSED_PERCENT } from './optionChoices.js';
import { Pace } from './pace.js';
import { packsUnderRetiredKey } from './retiredPacks.js';

export type PrunePhase = 'scan' | 'snapshots' | 'repack' | 'wait' | SweepPhase;

export interface PruneOptions {
  /** Packs with a larger share (percent of their blob bytes) of unused blobs are repacked; default 5. */
  maxUnusedPercent?: number;
  /** Decide and report only; nothing is written. */
  dryRun?: boolean;
  lockTimings?: LockTimings;
  /** The exclusive lock, when the caller (an activity) took it; otherwise prune takes its own. */
  heldLock?: HeldLock;
  workflowId?: string;
  signal?: AbortSignal;
  onProgress?: (phase: PrunePhase, done: number, total: number) => void;
  /** A key rotation's prune: packs sealed under a retired key are repacked and sealed again, at `pace` when given. */
  reseal?: { pace?: Pace };
}

export interface PruneResult {
  planId: string | null;
  dryRun: boolean;
  packs: { deleted: number; repacked: number; kept: number; written: number };
  bytes: { deleted: number; repacked: number; kept: number; written: number; freed: number };
  indexFiles: { before: number; after: number };
  leftoversRemoved: number;
  locksWaitedFor: number;
  rescuedPacks: number;
  /** Plans of killed prunes finished first. */
  resumedPlans: number;
}

export { DEFAULT_MAX_UNUSED_PERCENT } from './optionChoices.js';

export async function prune(repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  const maxUnusedPercent = options.maxUnusedPercent ?? DEFAULT_MAX_UNUSED_PERCENT;
  if (!(maxUnusedPercent >= 0 && maxUnusedPercent <= 100)) throw invalidArgument(`--max-unused must be a percentage from 0 to 100, not ${maxUnusedPercent}`);
  await refuseReplica(repo, 'prune');
  if (options.dryRun) return dryRunResult(await mark(repo, maxUnusedPercent, options));

  const timings = options.lockTimings ?? DEFAULT_LOCK_TIMINGS;
  const lock = options.heldLock ?? (await acquireLock(repo, { operation: 'prune', exclusive: true, timings, workflowId: options.workflowId, signal: options.signal }));
  const signal = options.signal ? AbortSignal.any([options.signal, lock.signal]) : lock.signal;
  const run = { ...options, signal, lock, timings };
  try {
    const total = emptyResult(false);
    for (const plan of (await readPrunePlans(repo)).plans) {
      if (plan.state === 'done') continue;
      addUp(total, await waitAndSweep(repo, plan, run));
      total.resumedPlans += 1;
    }
    const marked = await mark(repo, maxUnusedPercent, run);
    if (!needsSweep(marked.decisions, marked.leftovers)) {
      addUp(total, { ...(await consolidateIfWorthIt(repo, marked, lock)), planId: null });
      return total;
    }
    const repacked = await repack(repo, marked.decisions.repackPacks, {
      signal,
      onPack: (done) => options.onProgress?.('repack', done, marked.decisions.repackPacks.length),
      reseal: marked.resealPacks,
      pace: options.reseal?.pace,
    });
    const plan: PrunePlan = {
      kind: 'prune-plan',
      id: newPrunePlanId(),
      state: 'marked',
      createdAt: new Date().toISOString(),
      maxUnusedPercent,
      snapshotsSeen: marked.snapshotsSeen,
      journalSeen: marked.journalSeen,
      deletePacks: marked.decisions.deletePacks,
      repackPacks: marked.decisions.repackPacks.map(({ id, size }) => ({ id, size })),
      writtenPacks: repacked.packs,
      unindexedPacks: marked.decisions.unindexedPacks,
      leftovers: marked.leftovers,
      rescuedPacks: [],
      rescueDone: false,
      packsKept: marked.decisions.packsKept,
      bytesKept: marked.decisions.bytesKept,
      bytesWritten: repacked.bytes,
      indexFilesBefore: marked.indexFiles,
    };
    await lock.confirm();
    await savePrunePlan(repo, plan);
    addUp(total, await waitAndSweep(repo, plan, run));
    return total;
  } finally {
    if (!options.heldLock) await lock.release();
  }
}

interface Marked {
  decisions: PackDecisions;
  snapshotsSeen: string[];
  journalSeen: string[];
  leftovers: string[];
  indexFiles: number;
  blobCount: number;
  /** Packs sealed under a retired key (a key rotation's prune only). */
  resealPacks: ReadonlySet<string>;
}

/** Lists what exists and decides; writes nothing. */
async function mark(repo: Repository, maxUnusedPercent: number, options: PruneOptions): Promise<Marked> {
  // Temporary files and packs are listed before the index, so that a pack in the listing whose
  // index file was written in time is seen as indexed.
  const leftovers: string[] = [];
  for await (const file of repo.storage.listTemporaryFiles?.() ?? []) leftovers.push(file.name);
  const stored = new Map<string, number>();
  for await (const pack of repo.storage.list('data')) stored.set(pack.name, pack.size);
  const resealPacks = options.reseal ? await packsUnderRetiredKey(repo, stored, options.signal, (done, total) => options.onProgress?.('scan', done, total)) : new Set<string>();
  let indexFiles = 0;
  for await (const _ of repo.storage.list('index')) indexFiles += 1;
  const index = await MasterIndex.load(repo);
  const snapshots = await readSnapshots(repo);
  const used = new Set<string>();
  await addUsedBlobs(new BlobReader(repo, index), snapshots, used, {
    signal: options.signal,
    onSnapshot: (done) => options.onProgress?.('snapshots', done, snapshots.length),
  });
  const journalSeen = await addJournalBlobs(repo, used);
  const decisions = decidePacks(index, used, stored, { maxUnusedPercent, packSize: repo.config.packSize, mustRepack: resealPacks });
  return { decisions, snapshotsSeen: snapshots.map((s) => s.id), journalSeen, leftovers, indexFiles, blobCount: index.size, resealPacks };
}

function needsSweep(decisions: PackDecisions, leftovers: string[]): boolean {
  return decisions.deletePacks.length + decisions.repackPacks.length + decisions.unindexedPacks.length + leftovers.length > 0;
}

/** Nothing to delete: only the index is rewritten, when that makes fewer files (no wait is needed: no pack goes). */
async function consolidateIfWorthIt(repo: Repository, marked: Marked, lock: HeldLock): Promise<PruneResult> {
  const result = dryRunResult(marked);
  if (marked.indexFiles > consolidatedFileCount(marked.blobCount)) {
    result.indexFiles = await consolidateIndex(repo, { dropPacks: new Set(), beforeChange: () => lock.assertHeld() });
  }
  return { ...result, dryRun: false };
}

async function waitAndSweep(repo: Repository, plan: PrunePlan, run: PruneOptions & { lock: HeldLock; timings: LockTimings }): Promise<PruneResult> {
  // Every lock there is now may belong to an operation that read the repository before the plan existed.
  const others = (await listLocks(repo)).locks.filter((l) => l.id !== run.lock.id).map((l) => l.id);
  run.onProgress?.('wait', 0, others.length);
  const waited = await awaitLocks(repo, others, {
    staleMs: run.timings.staleMs,
    signal: run.signal,
    onWait: (waiting) => run.onProgress?.('wait', others.length - waiting.length, others.length),
  });
  await run.lock.confirm(); // not removed by an unlock --force while we waited: no other prune can have begun
  const swept = await sweep(repo, plan, {
    writersAllReleased: waited.stale.length === 0,
    beforeChange: () => run.lock.assertHeld(),
    signal: run.signal,
    onProgress: run.onProgress,
  });
  return resultOf(swept, others.length);
}

function resultOf(swept: SweepResult, locksWaitedFor: number): PruneResult {
  const { plan } = swept;
  const rescued = new Set(plan.rescuedPacks);
  const sum = (packs: { id: string; size: number }[]) => packs.reduce((n, p) => n + (rescued.has(p.id) ? 0 : p.size), 0);
  const count = (packs: { id: string }[]) => packs.filter((p) => !rescued.has(p.id)).length;
  const bytes = { deleted: sum(plan.deletePacks), repacked: sum(plan.repackPacks), kept: plan.bytesKept, written: plan.bytesWritten, freed: 0 };
  bytes.freed = swept.bytesDeleted - bytes.written;
  return {
    planId: plan.id,
    dryRun: false,
    packs: { deleted: count(plan.deletePacks), repacked: count(plan.repackPacks), kept: plan.packsKept + rescued.size, written: plan.writtenPacks.length },
    bytes,
    indexFiles: { before: plan.indexFilesBefore, after: swept.index.after },
    leftoversRemoved: swept.leftoversRemoved,
    locksWaitedFor,
    rescuedPacks: rescued.size,
    resumedPlans: 0,
  };
}

/** What a prune would do: the new packs' bytes are those of the blobs copied (their headers come on top). */
function dryRunResult(marked: Marked): PruneResult {
  const { decisions } = marked;
  const sum = (packs: { size: number }[]) => packs.reduce((n, p) => n + p.size, 0);
  const deleted = sum(decisions.deletePacks);
  const repacked = sum(decisions.repackPacks);
  return {
    planId: null,
    dryRun: true,
    packs: { deleted: decisions.deletePacks.length, repacked: decisions.repackPacks.length, kept: decisions.packsKept, written: 0 },
    bytes: { deleted, repacked, kept: decisions.bytesKept, written: decisions.bytesToCopy, freed: deleted + repacked - decisions.bytesToCopy },
    indexFiles: { before: marked.indexFiles, after: marked.indexFiles },
    leftoversRemoved: 0,
    locksWaitedFor: 0,
    rescuedPacks: 0,
    resumedPlans: 0,
  };
}

function emptyResult(dryRun: boolean): PruneResult {
  return {
    planId: null,
    dryRun,
    packs: { deleted: 0, repacked: 0, kept: 0, written: 0 },
    bytes: { deleted: 0, repacked: 0, kept: 0, written: 0, freed: 0 },
    indexFiles: { before: 0, after: 0 },
    leftoversRemoved: 0,
    locksWaitedFor: 0,
    rescuedPacks: 0,
    resumedPlans: 0,
  };
}

/** Adds a plan's counts to the run's; kept packs and index files are those of the last plan. */
function addUp(total: PruneResult, part: PruneResult): void {
  total.planId = part.planId ?? total.planId;
  for (const key of ['deleted', 'repacked', 'written'] as const) {
    total.packs[key] += part.packs[key];
    total.bytes[key] += part.bytes[key];
  }
  total.bytes.freed += part.bytes.freed;
  total.packs.kept = part.packs.kept;
  total.bytes.kept = part.bytes.kept;
  total.indexFiles = { before: total.indexFiles.before || part.indexFiles.before, after: part.indexFiles.after };
  total.leftoversRemoved += part.leftoversRemoved;
  total.locksWaitedFor += part.locksWaitedFor;
  total.rescuedPacks += part.rescuedPacks;
}
