// Restore to a point in time: the newest snapshot of the source at or before T, plus the journal
// segments that ended after that snapshot and at or before T, applied in order. A snapshot's time
// is when its walk started, so a segment ending after it holds what changed behind the walk (one
// overlapping the walk is applied again harmlessly: it holds its paths as they were when it was
// written). A time outside what the snapshots and segments cover is an error naming the covered
// interval. Files a segment could not read are kept as recorded before: the restore warns they may be stale.

import path from 'node:path';
import { BlobReader } from './blobReader.js';
import { RepositoryError } from './errors.js';
import { JournalSegment, JournalSegmentFile, listJournalFiles, segmentSummary } from './journalSegments.js';
import { applySegment, JournalState, snapshotState, stateTrees } from './journalState.js';
import { MasterIndex } from './masterIndex.js';
import { packsBeingPruned } from './prunePlan.js';
import { Repository } from './repository.js';
import { RestoreProgress, RestoreResult, restoreRoot } from './restorer.js';
import { listSnapshots, Snapshot } from './snapshots.js';
import { TreeNode } from './tree.js';

interface RestorePlan {
  snapshot: Snapshot;
  files: (JournalSegmentFile & { id: string })[];
  covered: { from: string; until: string };
}

/** Which snapshot and which segments give the source as of `at`. */
export async function planRestoreAt(repo: Repository, input: { source: string; host?: string; at: Date }): Promise<{ snapshot: Snapshot; segments: JournalSegment[]; covered: { from: string; until: string } }> {
  const { snapshot, files, covered } = await plan(repo, input);
  return { snapshot, segments: files.map(segmentSummary), covered };
}

export async function restoreAt(
  repo: Repository,
  input: { source: string; host?: string; at: Date; target: string; signal?: AbortSignal; onProgress?: (p: RestoreProgress) => void },
): Promise<RestoreResult & { snapshot: string; segments: number; at: string }> {
  const planned = await plan(repo, input);
  const result = await restoreRoot(
    repo,
    async () => {
      const state = await stateOf(repo, planned);
      const { root, trees } = stateTrees(repo, state);
      return { snapshotId: planned.snapshot.id, tree: root, trees };
    },
    { target: input.target, signal: input.signal, onProgress: input.onProgress },
  );
  const stale = staleFiles(planned.files);
  const warnings = stale === undefined ? result.warnings : [stale, ...result.warnings];
  return { ...result, warnings, snapshot: planned.snapshot.id, segments: planned.files.length, at: input.at.toISOString() };
}

/** The warning that segments applied could not read some files, if they could not. */
export function staleFiles(segments: Pick<JournalSegmentFile, 'filesSkipped'>[]): string | undefined {
  const skipped = segments.reduce((n, s) => n + (s.filesSkipped ?? 0), 0);
  if (skipped === 0) return undefined;
  return `the journal could not read ${skipped === 1 ? '1 changed file' : `${skipped} changed files`} when it recorded them: they may be restored as of an earlier time`;
}

/**
 * The source's entries as of `at` (default: as of its newest snapshot or segment), by relative
 * path. A source with segments but no snapshot before them starts from nothing.
 */
export async function stateAt(repo: Repository, input: { source: string; host?: string; at?: Date }): Promise<Map<string, TreeNode>> {
  if (input.at !== undefined) return stateOf(repo, await plan(repo, { ...input, at: input.at }));
  const source = path.resolve(input.source);
  const snapshots = (await listSnapshots(repo)).filter((s) => s.source === source && (input.host === undefined || s.host === input.host));
  const snapshot = snapshots[snapshots.length - 1];
  const host = input.host ?? snapshot?.host;
  const files = (await listJournalFiles(repo, { source, host })).filter((f) => snapshot === undefined || Date.parse(f.until) > Date.parse(snapshot.time));
  const state: JournalState = snapshot ? await snapshotState(await readerFor(repo), snapshot.tree) : new Map();
  for (const f of files) applySegment(state, f);
  return state;
}

async function plan(repo: Repository, input: { source: string; host?: string; at: Date }): Promise<RestorePlan> {
  if (Number.isNaN(input.at.getTime())) throw new RepositoryError('invalid-argument', '[journal] the restore time is not a valid date');
  const source = path.resolve(input.source);
  const all = (await listSnapshots(repo)).filter((s) => s.source === source && (input.host === undefined || s.host === input.host));
  const hosts = new Set(all.map((s) => s.host));
  if (hosts.size > 1) throw new RepositoryError('invalid-argument', `[journal] ${source} is backed up from several hosts (${[...hosts].sort().join(', ')}): name one`);
  const first = all[0];
  if (!first) throw new RepositoryError('not-found', `[journal] ${source} has no snapshot${input.host === undefined ? '' : ` from ${input.host}`}: nothing to restore to a time from`);
  const files = await listJournalFiles(repo, { source, host: first.host });
  const newest = [all[all.length - 1]!.time, ...files.map((f) => f.until)].reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
  const covered = { from: first.time, until: newest };
  const at = input.at.getTime();
  if (at < Date.parse(covered.from) || at > Date.parse(covered.until)) {
    const when = at < Date.parse(covered.from) ? 'before the first snapshot' : 'after the newest recorded change';
    throw new RepositoryError('not-found', `[journal] ${input.at.toISOString()} is ${when} of ${source}: restorable from ${covered.from} until ${covered.until}`);
  }
  const snapshot = all.filter((s) => Date.parse(s.time) <= at).pop()!;
  const since = Date.parse(snapshot.time);
  return { snapshot, files: files.filter((f) => Date.parse(f.until) > since && Date.parse(f.until) <= at), covered };
}

async function stateOf(repo: Repository, planned: RestorePlan): Promise<JournalState> {
  const state = await snapshotState(await readerFor(repo), planned.snapshot.tree);
  for (const f of planned.files) applySegment(state, f);
  return state;
}

async function readerFor(repo: Repository): Promise<BlobReader> {
  return new BlobReader(repo, await MasterIndex.load(repo, { demotePacks: await packsBeingPruned(repo) }));
}
