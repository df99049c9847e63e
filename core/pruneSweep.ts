// The sweep of a marked prune plan, run once every writer that may have read the repository
// before the plan existed is gone. In order, each step safe to be killed after and to run again:
//  1. state 'sweeping' (backups that did not see the plan and commit from now on undo themselves);
//  2. the snapshots committed since the mark are walked, and a condemned pack holding the only
//     copy of a blob they use is rescued; recorded in the plan (`rescueDone`) before anything is
//     deleted, so a rerun never needs to read a deleted pack;
//  3. the index is rewritten without the condemned packs (new files first, then the old deleted);
//  4. the condemned packs are deleted; then the packs no index named at mark time (only when every
//     writer of that time released its lock) and the temporary files of killed writers;
//  5. state 'done'; older done plans are deleted.

import { BlobReader } from './blobReader.js';
import { forEachConcurrently } from './concurrently.js';
import { consolidateIndex, ConsolidationResult } from './indexConsolidation.js';
import { MasterIndex } from './masterIndex.js';
import { condemnedPacks, deletePrunePlan, PrunePlan, readPrunePlans, savePrunePlan } from './prunePlan.js';
import { addJournalBlobs, addUsedBlobs, readSnapshots } from './reachability.js';
import { Repository } from './repository.js';
import { Handle, isNotFound } from '../storage/storage.js';

/** Pack deletions in flight: each is a round trip to a cloud store. */
const DELETES_AT_ONCE = 8;

export type SweepPhase = 'rescue' | 'index' | 'delete';

export interface SweepOptions {
  /** Whether every lock waited for was released (none only gone stale): then packs nobody indexed may go. */
  writersAllReleased: boolean;
  /** Throws when our lock may have been taken for stale (a paused prune): called before each change. */
  beforeChange: () => void;
  signal?: AbortSignal;
  onProgress?: (phase: SweepPhase, done: number, total: number) => void;
}

export interface SweepResult {
  /** The plan as it ends ('done', with the rescued packs). */
  plan: PrunePlan;
  index: ConsolidationResult;
  packsDeleted: number;
  bytesDeleted: number;
  leftoversRemoved: number;
}

export async function sweep(repo: Repository, plan: PrunePlan, options: SweepOptions): Promise<SweepResult> {
  if (plan.state === 'marked') await save(repo, (plan = { ...plan, state: 'sweeping' }), options);
  if (!plan.rescueDone) {
    const rescued = await rescue(repo, plan, options);
    await save(repo, (plan = { ...plan, rescuedPacks: [...rescued], rescueDone: true }), options);
  }
  const rescued = new Set(plan.rescuedPacks);
  const doomed = [...plan.deletePacks, ...plan.repackPacks].filter((p) => !rescued.has(p.id));
  const index = await consolidateIndex(repo, { dropPacks: new Set(doomed.map((p) => p.id)), beforeChange: options.beforeChange });
  options.onProgress?.('index', 1, 1);

  const result: SweepResult = { plan, index, packsDeleted: 0, bytesDeleted: 0, leftoversRemoved: 0 };
  const unindexed = options.writersAllReleased ? await stillUnindexed(repo, plan) : [];
  const total = doomed.length + unindexed.length;
  let done = 0;
  await forEachConcurrently([...doomed, ...unindexed], DELETES_AT_ONCE, async (pack) => {
    options.signal?.throwIfAborted();
    if (await remove(repo, { type: 'data', name: pack.id }, options)) {
      result.packsDeleted += 1;
      result.bytesDeleted += pack.size;
    }
    options.onProgress?.('delete', ++done, total);
  });
  for (const name of plan.leftovers) {
    options.beforeChange();
    await repo.storage.removeTemporaryFile?.(name);
    result.leftoversRemoved += 1;
  }
  await save(repo, (result.plan = { ...plan, state: 'done' }), options);
  for (const other of (await readPrunePlans(repo)).plans) {
    if (other.id !== plan.id && other.state === 'done') await deletePrunePlan(repo, other.id);
  }
  return result;
}

/** Condemned packs holding the only copy of a blob that a snapshot committed since the mark uses. */
async function rescue(repo: Repository, plan: PrunePlan, options: SweepOptions): Promise<Set<string>> {
  const snapshots = await readSnapshots(repo, new Set(plan.snapshotsSeen));
  const used = new Set<string>();
  const segments = await addJournalBlobs(repo, used, new Set(plan.journalSeen ?? []));
  const rescued = new Set<string>();
  if (snapshots.length === 0 && segments.length === 0) return rescued;
  // Listed after the snapshots and segments: a committed one's index files were written before it.
  const index = await MasterIndex.load(repo);
  await addUsedBlobs(new BlobReader(repo, index), snapshots, used, {
    signal: options.signal,
    onSnapshot: (done) => options.onProgress?.('rescue', done, snapshots.length),
  });
  const condemned = new Set(condemnedPacks(plan));
  for (const id of used) {
    const locations = index.locations(id);
    if (locations.length > 0 && locations.every((loc) => condemned.has(loc.pack))) rescued.add(locations[0]!.pack);
  }
  return rescued;
}

/** The packs no index file named at mark time that none names now either. */
async function stillUnindexed(repo: Repository, plan: PrunePlan) {
  if (plan.unindexedPacks.length === 0) return [];
  const index = await MasterIndex.load(repo);
  return plan.unindexedPacks.filter((p) => !index.packs.has(p.id));
}

async function save(repo: Repository, plan: PrunePlan, options: SweepOptions): Promise<void> {
  options.beforeChange();
  await savePrunePlan(repo, plan);
}

/** Deletes an object; false when it was gone already (a rerun of a killed sweep). */
async function remove(repo: Repository, handle: Handle, options: SweepOptions): Promise<boolean> {
  options.beforeChange();
  try {
    await repo.storage.delete(handle);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
