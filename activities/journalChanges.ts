// What the journal watcher (activities/journalWatcher.ts) collects between two segments: the
// watcher's events coalesced into changed and deleted paths relative to the source (a created or
// deleted entry also changes its parent directory's listing; a created directory, which inotify reports
// alone, brings everything under it), and the full rescan that replaces the events when there are
// none to trust (no watcher state, an overflow): the tree on disk compared with the journal's
// state (core/journal.ts stateAt) by type, size and modification time. Paths the source's excludes
// leave out (or below such a directory) are neither collected nor walked.

import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { PathFilter } from '../core/pathFilter.js';
import type { TreeNode } from '../core/tree.js';

export interface WatchEvent {
  path: string;
  type: 'create' | 'update' | 'delete';
}

/** Changed and deleted paths (relative to the source) since the last cut, and files to read again. */
export class PendingChanges {
  private changed = new Set<string>();
  private deleted = new Set<string>();
  private retries = new Set<string>();
  /** The batches of events being added, one after the other. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly source: string,
    private readonly filter: PathFilter,
  ) {}

  /** Changes collected; files to read again are not counted (they alone make no segment due). */
  get size(): number {
    return this.changed.size + this.deleted.size;
  }

  /** Files a segment could not read: the next segment reads them again, unless they are gone by then. */
  retry(keys: readonly string[]): void {
    for (const key of keys) this.retries.add(key);
  }

  /** Adds a batch of events once those before it are added (adding walks created directories); a failure goes to `onError`. */
  enqueue(events: readonly WatchEvent[], onError: (err: Error) => void): void {
    this.queue = this.queue.then(() => this.add(events)).catch((err: unknown) => onError(err as Error));
  }

  /** Resolves once every batch enqueued so far is added. */
  drained(): Promise<void> {
    return this.queue;
  }

  /** Records the watcher's events; a created directory is walked for what it already holds. */
  async add(events: readonly WatchEvent[]): Promise<void> {
    for (const event of events) {
      const relative = path.relative(this.source, event.path);
      // Outside the source; a name that merely starts with '..' (a ConfigMap volume's ..data) is inside.
      if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) continue;
      const key = relative.split(path.sep).join('/');
      if (key === '') continue; // the source itself: its entries' own events tell what changed
      if (this.filter.excludedWithin(key)) continue;
      if (event.type === 'delete') this.markDeleted(key);
      else this.markChanged(key);
      if (event.type !== 'update' && key.includes('/')) this.markChanged(parentOf(key));
      if (event.type === 'create') for (const inner of await walk(event.path, key, this.filter)) this.markChanged(inner.path);
    }
  }

  markChanged(key: string): void {
    this.deleted.delete(key);
    this.changed.add(key);
  }

  markDeleted(key: string): void {
    this.changed.delete(key);
    this.deleted.add(key);
  }

  /** What was collected, with the files to read again, sorted; the collection starts empty again. */
  cut(): { changed: string[]; deleted: string[] } {
    for (const key of this.retries) if (!this.deleted.has(key)) this.changed.add(key);
    const out = { changed: [...this.changed].sort(), deleted: [...this.deleted].sort() };
    this.changed = new Set();
    this.deleted = new Set();
    this.retries = new Set();
    return out;
  }
}

/** The paths that differ between the tree at `source` and the journal's `state` of it. */
export async function rescanChanges(source: string, state: ReadonlyMap<string, TreeNode>, filter: PathFilter): Promise<{ changed: string[]; deleted: string[] }> {
  const changed: string[] = [];
  const seen = new Set<string>();
  for (const entry of await walk(source, '', filter)) {
    seen.add(entry.path);
    if (differs(entry.stats, state.get(entry.path))) changed.push(entry.path);
  }
  const deleted = [...state.keys()].filter((key) => !seen.has(key));
  return { changed: changed.sort(), deleted: deleted.sort() };
}

function differs(stats: import('node:fs').BigIntStats, node: TreeNode | undefined): boolean {
  if (!node || node.type !== typeOf(stats)) return true;
  if (node.mtimeNs !== String(stats.mtimeNs)) return true;
  return node.type === 'file' && node.size !== Number(stats.size);
}

function typeOf(stats: import('node:fs').BigIntStats): TreeNode['type'] {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return stats.isCharacterDevice() ? 'chardev' : 'blockdev';
}

function parentOf(key: string): string {
  return key.slice(0, Math.max(0, key.lastIndexOf('/')));
}

/** Everything under `dir` (not `dir` itself) that `filter` does not exclude, keyed below `key`; a directory gone meanwhile holds nothing. */
async function walk(dir: string, key: string, filter: PathFilter): Promise<{ path: string; stats: import('node:fs').BigIntStats }[]> {
  const found: { path: string; stats: import('node:fs').BigIntStats }[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return found; // not a directory, or gone: its events say so
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const inner = key === '' ? name : `${key}/${name}`;
    if (filter.excluded(inner)) continue;
    const stats = await lstat(full, { bigint: true }).catch(() => undefined);
    if (!stats) continue;
    found.push({ path: inner, stats });
    if (stats.isDirectory()) found.push(...(await walk(full, inner, filter)));
  }
  return found;
}
