// Ransomware's signature in a backup: compared with the source's own history, a sudden share of
// files new or changed, files renamed with a new extension, and new data that no longer
// compresses (encrypted bytes do not). A backup is suspected when two of the three depart sharply
// from the source's previous backups at once; one alone (a reorganised tree, a batch of new
// GeoTIFFs) is normal work. Only a backup with a parent is judged, and only once its source has
// MIN_HISTORY earlier such backups.

import type { Snapshot, SnapshotStats } from './snapshots.js';

/** Earlier backups of the source needed before a backup is judged, and at most looked at. */
const MIN_HISTORY = 3;
const MAX_HISTORY = 14;
/** A share of files new or changed that is a surge: at least this, and SURGE_FACTOR × the history's highest. */
const SURGE_SHARE = 0.25;
const SURGE_FACTOR = 5;
/** A share of files renamed with a new extension that stands out: at least this, and SURGE_FACTOR × the history's highest. */
const RENAMED_SHARE = 0.05;
/** New data stored at this share of its size or more did not compress. */
const INCOMPRESSIBLE_RATIO = 0.97;
/** …while the history's median compressed to this share or less. */
const COMPRESSIBLE_RATIO = 0.85;
/** Less new data than this says nothing about compressibility. */
const MIN_BYTES_JUDGED = 64 * 1024;

export interface Suspicion {
  reasons: string[];
}

interface Profile {
  changedShare: number;
  renamedShare: number;
  /** Bytes stored per byte of new data; undefined for too little new data. */
  storedRatio: number | undefined;
}

function profileOf(stats: SnapshotStats): Profile {
  const files = Math.max(stats.files, 1);
  return {
    changedShare: (stats.filesNew + stats.filesChanged) / files,
    renamedShare: (stats.filesRenamedExtension ?? 0) / files,
    storedRatio: stats.bytesAdded >= MIN_BYTES_JUDGED ? stats.bytesStored / stats.bytesAdded : undefined,
  };
}

/**
 * The earlier backups of a source, newest first, that a new backup of it is judged against: those
 * that had a parent (a backup without one finds every file new).
 */
export function judgementHistory(snapshots: readonly Snapshot[], host: string, source: string): SnapshotStats[] {
  return snapshots
    .filter((s) => s.host === host && s.source === source && s.pg === undefined && s.parent !== null)
    .sort((a, b) => b.time.localeCompare(a.time))
    .slice(0, MAX_HISTORY)
    .map((s) => s.stats);
}

/** Why a backup's changes look like ransomware at work; undefined when they do not (or the history is too short to say). */
export function judgeChanges(stats: SnapshotStats, history: readonly SnapshotStats[]): Suspicion | undefined {
  if (history.length < MIN_HISTORY) return undefined;
  const now = profileOf(stats);
  const before = history.map(profileOf);
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  const reasons: string[] = [];
  const maxChanged = Math.max(...before.map((p) => p.changedShare));
  if (now.changedShare >= SURGE_SHARE && now.changedShare >= SURGE_FACTOR * maxChanged) {
    reasons.push(`${percent(now.changedShare)} of files new or changed (at most ${percent(maxChanged)} in the ${before.length} backups before)`);
  }
  const maxRenamed = Math.max(...before.map((p) => p.renamedShare));
  if (now.renamedShare >= RENAMED_SHARE && now.renamedShare >= SURGE_FACTOR * maxRenamed) {
    reasons.push(`${percent(now.renamedShare)} of files renamed with a new extension (at most ${percent(maxRenamed)} before)`);
  }
  const ratios = before.map((p) => p.storedRatio).filter((r): r is number => r !== undefined);
  const usual = median(ratios);
  if (now.storedRatio !== undefined && now.storedRatio >= INCOMPRESSIBLE_RATIO && usual !== undefined && usual <= COMPRESSIBLE_RATIO) {
    reasons.push(`new data does not compress (stored at ${percent(now.storedRatio)} of its size; ${percent(usual)} usually)`);
  }
  return reasons.length >= 2 ? { reasons } : undefined;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
