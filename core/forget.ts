// Forget: removes snapshots from a repository, either those a retention policy (core/retention.ts)
// does not keep, group by group, or exactly the snapshots named by id. Only snapshot files are
// deleted, and the journal segments that end before their source's oldest kept snapshot; the
// data they alone referenced stays until a prune (core/prune.ts). The result lists at most
// MAX_LISTED_SNAPSHOTS snapshots (removals first) and counts the rest, so that a forget of
// 10,000 snapshots returns a small document through workflow history. A filter (host, source
// paths) narrows what is considered: a schedule's policy never sees another source's snapshots,
// and a snapshot named by id outside the filter is refused rather than removed. While a ransomware
// alert of a source is open, its snapshots from before the alert are kept (core/ransomwareAlerts.ts).

import path from 'node:path';
import { invalidArgument } from './errors.js';
import { forgetJournalSegments } from './journalRetention.js';
import { holdForOpenAlerts, listAlerts } from './ransomwareAlerts.js';
import { Repository } from './repository.js';
import { applyRetention, GroupBy, GroupDecision, GroupKey, RetentionPolicy, SnapshotDecision } from './retention.js';
import { listSnapshots, resolveSnapshot, Snapshot } from './snapshots.js';
import { refuseReplica } from './replicaState.js';

export interface ForgetOptions {
  /** The policy to apply; or `snapshotIds`. */
  policy?: RetentionPolicy;
  /** Snapshot ids or unique prefixes to remove, exactly those (listed as one group); or `policy`. */
  snapshotIds?: string[];
  /**
   * A retry of a forget by id: a named snapshot that no longer exists was deleted by the attempt
   * before, and is passed over instead of failing the retry with "no snapshot matches".
   */
  namedMayBeGone?: boolean;
  groupBy?: GroupBy;
  /** Only snapshots matching it are considered, by the policy or by id. */
  filter?: SnapshotFilter;
  /** IANA time zone of the policy's calendar buckets; defaults to this process's zone. */
  timezone?: string;
  /** Where maxAgeDays counts from; defaults to now. */
  now?: Date;
  /** Lets a policy remove every snapshot of a group. */
  allowEmpty?: boolean;
  /** Decide and report, delete nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ForgetProgress) => void;
}

/** Which snapshots a forget considers: those of `host` (any when absent) whose source is one of `paths` (any when absent). */
export interface SnapshotFilter {
  host?: string;
  paths?: string[];
}

/** In the shape the CLI's progress line and the API read: the phase, and snapshot files deleted of those to delete. */
export interface ForgetProgress {
  phase: 'listing' | 'deleting';
  done: number;
  total: number;
}

/** A group's decision as the result lists it: the listed snapshots, and how many there are in all. */
export interface ForgetGroup {
  key: GroupKey;
  keep: SnapshotDecision[];
  remove: SnapshotDecision[];
  kept: number;
  removed: number;
}

export interface ForgetResult {
  dryRun: boolean;
  /** Groups with at least one listed snapshot, in key order; snapshots newest first. */
  groups: ForgetGroup[];
  /** Snapshots kept and removed (or, in a dry run, to be removed) in all groups. */
  kept: number;
  removed: number;
  /** Snapshots counted but not listed (beyond MAX_LISTED_SNAPSHOTS). */
  truncated: number;
  /** Journal segments removed (or to be removed) because they end before their source's oldest kept snapshot; absent when none. */
  journalSegmentsRemoved?: number;
}

export const MAX_LISTED_SNAPSHOTS = 1000;
/** Snapshot files deleted at once. */
const DELETE_CONCURRENCY = 16;

export async function forget(repo: Repository, options: ForgetOptions): Promise<ForgetResult> {
  if ((options.policy === undefined) === (options.snapshotIds === undefined)) {
    throw invalidArgument('forget needs either a retention policy or snapshot ids, not both');
  }
  if (options.snapshotIds?.length === 0) throw invalidArgument('forget needs at least one snapshot id');
  await refuseReplica(repo, 'forget');
  const progress: ForgetProgress = { phase: 'listing', done: 0, total: 0 };
  options.onProgress?.(progress);
  const snapshots = await listSnapshots(repo);
  const considered = filterPredicate(options.filter);
  const decided = options.policy
    ? applyRetention(snapshots.filter(considered), options.policy, { groupBy: options.groupBy, timezone: options.timezone, now: options.now, allowEmpty: options.allowEmpty })
    : namedForRemoval(snapshots, options.snapshotIds!, options.namedMayBeGone ?? false, considered);
  const groups = holdForOpenAlerts(decided, snapshots, await listAlerts(repo, snapshots));
  const removals = groups.flatMap((group) => group.remove.map((snapshot) => snapshot.id));
  if (!options.dryRun) await deleteSnapshots(repo, removals, progress, options);
  const removed = new Set(removals);
  const remaining = snapshots.filter((s) => !removed.has(s.id));
  const segmentsRemoved = await forgetJournalSegments(repo, remaining, considered, options.dryRun ?? false);
  return { ...listedResult(groups, options.dryRun ?? false), ...(segmentsRemoved > 0 && { journalSegmentsRemoved: segmentsRemoved }) };
}

/** Whether a snapshot passes the filter (every snapshot without one). */
function filterPredicate(filter: SnapshotFilter | undefined): (snapshot: Pick<Snapshot, 'host' | 'source'>) => boolean {
  if (filter === undefined) return () => true;
  if (filter.paths?.length === 0) throw invalidArgument('a forget filter with an empty list of paths matches no snapshot');
  const paths = filter.paths && new Set(filter.paths.map((p) => path.resolve(p)));
  return (s) => (filter.host === undefined || s.host === filter.host) && (paths === undefined || paths.has(s.source));
}

/** The snapshots named by id or prefix (each must match exactly one, within the filter), as one group without a key. */
function namedForRemoval(snapshots: Snapshot[], refs: string[], mayBeGone: boolean, considered: (snapshot: Pick<Snapshot, 'host' | 'source'>) => boolean): GroupDecision[] {
  const named = new Map<string, Snapshot>();
  for (const ref of refs) {
    if (ref === 'latest') throw invalidArgument('forget takes snapshot ids, not "latest"');
    if (mayBeGone && !snapshots.some((s) => s.id.startsWith(ref))) continue;
    const snapshot = resolveSnapshot(snapshots, ref);
    if (!considered(snapshot)) throw invalidArgument(`snapshot ${snapshot.id.slice(0, 8)} (host ${snapshot.host}, source ${snapshot.source}) is outside the forget's filter: nothing removed`);
    named.set(snapshot.id, snapshot);
  }
  const newestFirst = [...named.values()].sort((a, b) => b.time.localeCompare(a.time) || a.id.localeCompare(b.id));
  return [{ key: {}, keep: [], remove: newestFirst.map(({ id, time }) => ({ id, time, reasons: ['named'] })) }];
}

async function deleteSnapshots(repo: Repository, ids: string[], progress: ForgetProgress, options: ForgetOptions): Promise<void> {
  progress.phase = 'deleting';
  progress.total = ids.length;
  options.onProgress?.(progress);
  let next = 0;
  const deleteSome = async () => {
    while (next < ids.length) {
      options.signal?.throwIfAborted();
      await repo.storage.delete({ type: 'snapshots', name: ids[next++]! });
      progress.done++;
      options.onProgress?.(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, ids.length) }, deleteSome));
}

/** The groups with at most MAX_LISTED_SNAPSHOTS snapshots listed in all, removals listed first. */
function listedResult(groups: GroupDecision[], dryRun: boolean): ForgetResult {
  let budget = MAX_LISTED_SNAPSHOTS;
  const take = (list: SnapshotDecision[]) => {
    const listed = list.slice(0, budget);
    budget -= listed.length;
    return listed;
  };
  const removals = groups.map((group) => take(group.remove));
  const keeps = groups.map((group) => take(group.keep));
  const kept = groups.reduce((sum, group) => sum + group.keep.length, 0);
  const removed = groups.reduce((sum, group) => sum + group.remove.length, 0);
  return {
    dryRun,
    groups: groups
      .map((group, i) => ({ key: group.key, keep: keeps[i]!, remove: removals[i]!, kept: group.keep.length, removed: group.remove.length }))
      .filter((group) => group.keep.length + group.remove.length > 0),
    kept,
    removed,
    truncated: kept + removed - (MAX_LISTED_SNAPSHOTS - budget),
  };
}
