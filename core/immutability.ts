// Immutable repositories (S3 Object Lock): the maintenance that keeps the guarantee, and the
// recovery it makes possible.
//
// The guarantee: whatever happens to the repository's files (deleted, overwritten, by anyone with
// the workers' credentials), the repository as it stood at any moment of the last `days` days can
// be brought back. It holds because every file that is current is locked until at least `days`
// from now: S3 applies the bucket's default retention to each new version, and maintenance extends
// the retention of current files before it runs short. A file deleted or replaced at a moment D
// thus keeps its version, locked, until D + days at least.
//
// Maintenance also deletes for good the old versions (of files pruned, replaced or deleted) whose
// retention has ended; never one still locked, which S3 would refuse anyway. Recovery (`rollback`)
// makes the version each file had at a given moment current again.

import { forEachConcurrently } from './concurrently.js';
import { RepositoryError } from './errors.js';
import { daysMs, ImmutablePolicy, renewalIntervalMs } from './immutablePolicy.js';
import type { ObjectVersion, S3Versions, VersionStore } from '../storage/s3Versions.js';
import type { FileType } from '../storage/storage.js';

/** The bucket's policy; a bucket without Object Lock and a default retention is refused in one sentence. */
export async function requireImmutablePolicy(store: Pick<S3Versions, 'policy' | 'location'>): Promise<ImmutablePolicy> {
  const policy = await store.policy();
  if (!policy) throw new RepositoryError('invalid-argument', `[immutable] ${store.location} is not an immutable repository: its bucket has no Object Lock default retention (create it with meridian init --immutable-days)`);
  return policy;
}

/** Files whose locks say nothing about the repository's history: a lock or canary is never extended or brought back. */
const TRANSIENT_TYPES: ReadonlySet<FileType> = new Set(['locks', 'health']);
/** Version requests in flight at once (each one a small HEAD or PUT). */
const CONCURRENCY = 16;
/** Files reinstated at once by a rollback (each read whole, then put back). */
const REINSTATE_CONCURRENCY = 4;

export interface VersionTally {
  files: number;
  bytes: number;
}

export interface MaintenanceResult {
  /** Current files whose retention was read. */
  checked: number;
  /** Those whose retention was extended, and to when (ISO). */
  extended: number;
  extendedUntil: string;
  /** Old versions whose retention had ended, deleted for good. */
  purged: VersionTally;
  /** Old versions still locked: deletable from the first to the last date (ISO). */
  retained: VersionTally & { deletableFrom?: string; deletableUntil?: string };
}

export interface MaintenanceOptions {
  now: Date;
  /** Count what the pass would do (`meridian immutable status`); change nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (versionsSeen: number) => void;
}

/** One pass of maintenance: extends the retention of current files, deletes the old versions whose retention has ended. */
export async function maintainImmutable(store: VersionStore, policy: ImmutablePolicy, options: MaintenanceOptions): Promise<MaintenanceResult> {
  const now = options.now.getTime();
  const interval = renewalIntervalMs(policy);
  const extendBefore = now + daysMs(policy.days) + interval;
  const extendTo = new Date(now + daysMs(policy.days) + 2 * interval);
  const result: MaintenanceResult = { checked: 0, extended: 0, extendedUntil: extendTo.toISOString(), purged: { files: 0, bytes: 0 }, retained: { files: 0, bytes: 0 } };
  const deletable: Date[] = [];
  // Delete markers of files with no version left are cleared at the end: a marker in front of a
  // version still locked must stay, or the pruned file would come back.
  const versionsLeft = new Map<string, number>();
  const markers: ObjectVersion[] = [];
  const keyOf = (v: ObjectVersion) => `${v.handle.type}/${v.handle.name}`;

  const visit = async (version: ObjectVersion) => {
    options.signal?.throwIfAborted();
    if (version.deleteMarker) return;
    if (version.latest) {
      if (TRANSIENT_TYPES.has(version.handle.type)) return;
      result.checked++;
      const until = await store.retainedUntil(version);
      if (until === undefined || until.getTime() < extendBefore) {
        if (!options.dryRun) await store.retain(version, policy, extendTo);
        result.extended++;
      }
      return;
    }
    const until = await store.retainedUntil(version);
    if (until === undefined || until.getTime() <= now) {
      if (!options.dryRun) await store.deleteVersion(version);
      result.purged.files++;
      result.purged.bytes += version.size;
      versionsLeft.set(keyOf(version), (versionsLeft.get(keyOf(version)) ?? 0) - 1);
      return;
    }
    result.retained.files++;
    result.retained.bytes += version.size;
    deletable.push(until);
  };

  let batch: ObjectVersion[] = [];
  let seen = 0;
  const flush = async () => {
    await forEachConcurrently(batch, CONCURRENCY, visit);
    seen += batch.length;
    batch = [];
    options.onProgress?.(seen);
  };
  for await (const version of store.versions()) {
    if (version.deleteMarker) {
      if (version.latest) markers.push(version);
    } else if (!version.latest) {
      versionsLeft.set(keyOf(version), (versionsLeft.get(keyOf(version)) ?? 0) + 1);
    }
    batch.push(version);
    if (batch.length >= 256) await flush();
  }
  await flush();
  if (!options.dryRun) {
    await forEachConcurrently(
      markers.filter((marker) => (versionsLeft.get(keyOf(marker)) ?? 0) === 0),
      CONCURRENCY,
      (marker) => store.deleteVersion(marker),
    );
  }
  deletable.sort((a, b) => a.getTime() - b.getTime());
  if (deletable.length > 0) {
    result.retained.deletableFrom = deletable[0]!.toISOString();
    result.retained.deletableUntil = deletable.at(-1)!.toISOString();
  }
  return result;
}

export interface RollbackResult {
  /** Files whose version at the moment was made current again (they had been replaced or deleted since). */
  reinstated: number;
  /** Files that did not exist at the moment, hidden behind a delete marker. */
  hidden: number;
  /** Files already as they were. */
  unchanged: number;
}

/**
 * Brings every repository file back to the version it had at `asOf`: replaced or deleted files get
 * that version again (as a new current version, locked anew), files written since are hidden.
 * Locks and canaries are left alone. With `dryRun`, only counts. Only a moment of the last `days`
 * days is sure to be complete (older versions may have been purged): the caller checks.
 */
export async function rollbackImmutable(store: VersionStore, asOf: Date, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<RollbackResult> {
  const byFile = new Map<string, ObjectVersion[]>();
  for await (const version of store.versions()) {
    if (TRANSIENT_TYPES.has(version.handle.type)) continue;
    const key = `${version.handle.type}/${version.handle.name}`;
    const versions = byFile.get(key);
    if (versions) versions.push(version);
    else byFile.set(key, [version]);
  }
  const result: RollbackResult = { reinstated: 0, hidden: 0, unchanged: 0 };
  const work: (() => Promise<void>)[] = [];
  for (const versions of byFile.values()) {
    // Newest first; at equal times the current one first (S3 times are whole seconds).
    versions.sort((a, b) => b.modified.getTime() - a.modified.getTime() || Number(b.latest) - Number(a.latest));
    const current = versions.find((v) => v.latest);
    const then = versions.find((v) => v.modified.getTime() <= asOf.getTime());
    const existedThen = then !== undefined && !then.deleteMarker;
    const existsNow = current !== undefined && !current.deleteMarker;
    if (existedThen && current?.versionId === then.versionId) {
      result.unchanged++;
    } else if (existedThen) {
      result.reinstated++;
      work.push(() => store.reinstate(then));
    } else if (existsNow) {
      result.hidden++;
      work.push(() => store.hide(current.handle));
    } else {
      result.unchanged++;
    }
  }
  if (!options.dryRun) {
    await forEachConcurrently(work, REINSTATE_CONCURRENCY, async (step) => {
      options.signal?.throwIfAborted();
      await step();
    });
  }
  return result;
}
