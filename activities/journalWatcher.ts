// The journal's watcher activity (workflows/journal.ts runs it in rounds on the source host's task
// queue): an inotify subscription of the source (@parcel/watcher) whose events are coalesced
// (activities/journalChanges.ts), and every interval one journal segment (core/journal.ts) of the
// changed and deleted paths, written under a repository lock held only while it is written; a
// segment with nothing changed is still written every CHECKPOINT_INTERVALS intervals so the covered
// interval stays current. The subscription outlives a round (the next round of the same journal on
// this worker takes it over); one left unclaimed is closed after a while. A new subscription (the
// worker restarted) first asks the watcher's state file under MERIDIAN_HOME/journal what changed
// since the last segment; with no state file, or after an overflow, the tree is rescanned in full
// against the journal's state (stateAt). Either way that segment says `rescan: <reason>`.
// The state file is replaced only once the segment it follows is stored, so a worker killed
// mid-segment rescans from the previous one: nothing is lost, a change may be recorded twice. It is
// taken before the cut, and the cut waits for the events of changes made before it (the watcher's
// batching delay, then their adding), so a state file never covers a change its segment lacks.
// A changed file a segment could not read (counted in its filesSkipped) is read again by the next one.
// The source's excludes leave paths out as its backups do; a journal whose excludes changed has
// another subscription and state file, so it starts with a full rescan (a path no longer excluded is
// recorded).

import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AsyncSubscription } from '@parcel/watcher';
import { Context } from '@temporalio/activity';
import { meridianHome } from '../config/home.js';
import { RepositoryError } from '../core/errors.js';
import { listJournalSegments, writeJournalSegment } from '../core/journal.js';
import { stateAt } from '../core/journalRestore.js';
import { acquireLock } from '../core/locks.js';
import { createPathFilter, type PathFilter } from '../core/pathFilter.js';
import type { Repository } from '../core/repository.js';
import type { TreeNode } from '../core/tree.js';
import { openRepository } from '../worker/repositories.js';
import type { WatchJournalInput, WatchJournalOutput } from '../workflows/journalDefs.js';
import { runWithHeartbeats } from './heartbeats.js';
import type { ActivityDeps } from './index.js';
import { PendingChanges, rescanChanges } from './journalChanges.js';

/** Intervals without a change after which a checkpoint segment (nothing changed) is written. */
export const CHECKPOINT_INTERVALS = 10;

/** A subscription no round claimed for this long after the previous one ended is closed. */
const UNCLAIMED_MS = 120_000;

/** @parcel/watcher, loaded on first use: a worker that journals nothing does not hold its native module. */
const parcelWatcher = async () => (await import('@parcel/watcher')).default;

/** How late @parcel/watcher may deliver an event: it batches them for up to 500 ms (its Debounce's MAX_WAIT_TIME), plus a margin. */
const EVENT_DELIVERY_MS = 600;

interface LiveWatcher {
  subscription: AsyncSubscription;
  pending: PendingChanges;
  filter: PathFilter;
  /** Why the next segment must rescan in full (no state file, an overflow), if it must. */
  fullRescan?: string;
  /** Why the next segment is a rescan: the state file's events, or a full one. */
  rescan?: string;
  /** The end of the last segment written. */
  lastUntil?: Date;
  intervalsSinceSegment: number;
  idle?: NodeJS.Timeout;
  failure?: Error;
}

/** Subscriptions by journal (repository URL, source, host, excludes): kept between the rounds of one worker. */
const live = new Map<string, LiveWatcher>();

export function createJournalActivities(deps: ActivityDeps) {
  return {
    /** Watches `input.source` for `input.rounds` intervals, writing a segment after each (see the file comment). */
    async watchJournal(input: WatchJournalInput): Promise<WatchJournalOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const workflowId = Context.current().info.workflowExecution?.workflowId;
        const source = path.resolve(input.source);
        const admitted = await deps.authority.admit({ repo: input.repo, source, workflowId });
        const host = input.host ?? os.hostname();
        const excludes = input.excludes ?? [];
        const key = `${admitted.url}\n${source}\n${host}${excludes.length > 0 ? `\n${JSON.stringify(excludes)}` : ''}`;
        const stateFile = path.join(meridianHome(), 'journal', `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.state`);
        const repo = await (deps.openRepository ?? openRepository)(admitted);
        const output: WatchJournalOutput = { segments: 0, bytesAdded: 0, rescans: [] };
        let claimed: LiveWatcher | undefined;
        try {
          claimed = await claim(key, source, stateFile, createPathFilter([], excludes));
          const w = claimed;
          w.lastUntil ??= await lastUntil(repo, source, host);
          const segment = async (signal: AbortSignal | undefined, force = false) => {
            const written = await writeSegment(repo, { w, source, host, excludes, stateFile, workflowId, signal, deps, force });
            if (!written) return;
            output.segments += 1;
            output.bytesAdded += written.bytesAdded;
            output.lastUntil = written.until;
            if (written.rescan) output.rescans.push(written.rescan);
          };
          for (let round = 0; round < input.rounds; round += 1) {
            report({ phase: 'watching', round, segments: output.segments, lastUntil: output.lastUntil });
            if (await sleep(input.intervalSeconds * 1000, cancellation)) {
              await segment(undefined, true); // stopped: what was collected is written, and the covered interval reaches the stop
              throw cancellation.reason;
            }
            if (w.failure) throw w.failure;
            await segment(cancellation);
          }
          return output;
        } catch (err) {
          if (claimed) await close(key, claimed);
          claimed = undefined;
          throw err;
        } finally {
          if (claimed) release(key, claimed);
          await repo.storage.close();
        }
      });
    },
  };
}

/** The live subscription of this journal, or a new one (with its restart rescan planned). */
async function claim(key: string, source: string, stateFile: string, filter: PathFilter): Promise<LiveWatcher> {
  const existing = live.get(key);
  if (existing) {
    clearTimeout(existing.idle);
    return existing;
  }
  const pending = new PendingChanges(source, filter);
  const w: LiveWatcher = { pending, filter, intervalsSinceSegment: 0 } as LiveWatcher;
  const watcher = await parcelWatcher();
  w.subscription = await watcher.subscribe(source, (err, events) => {
    if (err) {
      // An overflow (or any watcher error) loses events: the next segment rescans in full.
      w.fullRescan = `watcher overflowed or failed (${err.message})`;
      return;
    }
    pending.enqueue(events, (e) => (w.failure = e));
  });
  if (await exists(stateFile)) {
    try {
      await pending.add(await watcher.getEventsSince(source, stateFile));
      w.rescan = 'worker restarted: changes since the last segment from the watcher state file';
    } catch (err) {
      w.fullRescan = `worker restarted and its watcher state file could not be read (${(err as Error).message})`;
    }
  } else {
    w.fullRescan = 'no watcher state: the tree was compared with the journal in full';
  }
  live.set(key, w);
  return w;
}

/** Keeps the subscription for the next round, closed if none claims it soon. */
function release(key: string, w: LiveWatcher): void {
  w.idle = setTimeout(() => void close(key, w), UNCLAIMED_MS);
  w.idle.unref();
}

async function close(key: string, w: LiveWatcher): Promise<void> {
  clearTimeout(w.idle);
  if (live.get(key) === w) live.delete(key);
  await w.subscription.unsubscribe().catch(() => undefined);
}

interface SegmentContext {
  w: LiveWatcher;
  source: string;
  host: string;
  excludes: string[];
  stateFile: string;
  workflowId: string | undefined;
  signal: AbortSignal | undefined;
  deps: ActivityDeps;
  /** Written even with nothing changed (the last one before the journal stops). */
  force: boolean;
}

/** Writes the next segment when something changed, a rescan is due or a checkpoint is; undefined when none was. */
async function writeSegment(repo: Repository, ctx: SegmentContext): Promise<{ until: string; bytesAdded: number; rescan?: string } | undefined> {
  const { w, source } = ctx;
  w.intervalsSinceSegment += 1;
  const due = ctx.force || w.fullRescan !== undefined || w.rescan !== undefined || w.pending.size > 0 || w.intervalsSinceSegment >= CHECKPOINT_INTERVALS;
  if (!due) return undefined;
  // The state file is taken before the cut: a change after it is in this segment and, should the segment never be stored, in the next run's events too.
  const nextState = `${ctx.stateFile}.next`;
  await mkdir(path.dirname(ctx.stateFile), { recursive: true });
  await (await parcelWatcher()).writeSnapshot(source, nextState);
  // A change made before the state file was taken must be in this cut, or a worker dying before the
  // next segment loses it (the state file moved on): its event comes within the watcher's batching
  // delay, and is added after the batches before it.
  await delay(EVENT_DELIVERY_MS);
  await w.pending.drained();
  // Read after that wait: an overflow until now is rescanned in this segment, which walks the tree after the state file.
  const fullRescan = w.fullRescan;
  w.fullRescan = undefined;
  const cut = w.pending.cut();
  const until = new Date();
  let rescan = w.rescan;
  w.rescan = undefined;
  try {
    if (fullRescan !== undefined) {
      const full = await rescanChanges(source, await journalState(repo, source, ctx.host), w.filter);
      cut.changed = [...new Set([...cut.changed, ...full.changed])];
      cut.deleted = [...new Set([...cut.deleted, ...full.deleted])].filter((p) => !full.changed.includes(p));
      rescan = fullRescan;
    }
    const lock = await acquireLock(repo, { operation: 'journal', workflowId: ctx.workflowId, timings: ctx.deps.lockTimings, signal: ctx.signal });
    let result;
    try {
      const from = w.lastUntil && w.lastUntil <= until ? w.lastUntil : until;
      result = await writeJournalSegment(repo, { source, host: ctx.host, changed: cut.changed, deleted: cut.deleted, excludes: ctx.excludes, from, until, ...(rescan !== undefined ? { rescan } : {}), signal: lock.signal });
      await lock.confirm();
    } finally {
      await lock.release().catch(() => undefined);
    }
    await rename(nextState, ctx.stateFile);
    w.pending.retry(result.skipped);
    w.lastUntil = until;
    w.intervalsSinceSegment = 0;
    return { until: result.segment.until, bytesAdded: result.bytesAdded, ...(rescan !== undefined ? { rescan } : {}) };
  } catch (err) {
    // Not stored: what was cut goes into the next attempt's segment, with its rescan.
    for (const p of cut.changed) w.pending.markChanged(p);
    for (const p of cut.deleted) w.pending.markDeleted(p);
    w.rescan = rescan;
    if (fullRescan !== undefined) w.fullRescan = fullRescan;
    await rm(nextState, { force: true });
    throw err;
  }
}

/** The journal's state of the source now; empty when it has no snapshot yet (everything is new). */
async function journalState(repo: Repository, source: string, host: string): Promise<Map<string, TreeNode>> {
  try {
    return await stateAt(repo, { source, host });
  } catch (err) {
    if (err instanceof RepositoryError && err.code === 'not-found') return new Map();
    throw err;
  }
}

/** The end of the newest segment of this journal, if any. */
async function lastUntil(repo: Repository, source: string, host: string): Promise<Date | undefined> {
  const segments = await listJournalSegments(repo, { source, host });
  const newest = segments.map((s) => s.until).sort().at(-1);
  return newest ? new Date(newest) : undefined;
}

/** Waits `ms`; true when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}
