// Writing a journal segment: the changed paths the watcher saw (and, for a directory, entries
// that appeared in or left its listing) are compared with the source's state as of the previous
// segment; their new content is chunked and deduplicated into packs like a backup's, without
// walking the tree, and the segment file records each entry's node and the paths that are gone.
// Paths the source's excludes leave out of its backups (or below such a directory) are left out too.

import fs from 'node:fs';
import path from 'node:path';
import { BlobStore } from './blobStore.js';
import { entryFields } from './entryFields.js';
import { entryStatOf } from './entryStats.js';
import { RepositoryError } from './errors.js';
import { JournalSegment, JournalSegmentFile, listJournalSegments, segmentSummary } from './journalSegments.js';
import { stateAt } from './journalRestore.js';
import { applySegment, childrenOf, JournalState, parentPath } from './journalState.js';
import { MasterIndex } from './masterIndex.js';
import { OwnerNames } from './ownerNames.js';
import { createPathFilter, PathFilter } from './pathFilter.js';
import { PruneWatch } from './pruneWatch.js';
import { refuseReplica } from './replicaState.js';
import { Repository } from './repository.js';
import { TreeNode } from './tree.js';

export { listJournalSegments } from './journalSegments.js';
export type { JournalSegment } from './journalSegments.js';

export interface JournalSegmentInput {
  /** The watched directory. */
  source: string;
  host: string;
  /** Paths relative to `source` whose content, metadata or (directories) listing changed. */
  changed: string[];
  /** Paths relative to `source` that were removed; one that exists again is recorded as it is. */
  deleted: string[];
  /** The source's exclude globs, as its backups take them: those paths are not journaled. */
  excludes?: string[];
  from: Date;
  until: Date;
  rescan?: string;
  signal?: AbortSignal;
  /** Encoder threads (default: one per core; 0 encodes inline). */
  threads?: number;
}

/** Files handed to the encoder pool at once. */
const BATCH_FILES = 64;

/** The state after the last segment this process wrote, per repository and source: saves re-reading it every interval. */
const lastStates = new WeakMap<Repository, Map<string, { segment: string; state: JournalState }>>();

/**
 * Writes the segment; `skipped` are the changed files that could not be read (counted in the
 * segment's `filesSkipped`): the caller passes them to the next segment again.
 */
export async function writeJournalSegment(repo: Repository, input: JournalSegmentInput): Promise<{ segment: JournalSegment; bytesAdded: number; skipped: string[] }> {
  const source = path.resolve(input.source);
  if (Number.isNaN(input.from.getTime()) || Number.isNaN(input.until.getTime()) || input.from > input.until) {
    throw new RepositoryError('invalid-argument', '[journal] a segment needs valid times with from ≤ until');
  }
  const root = fs.statSync(source, { throwIfNoEntry: false });
  if (!root?.isDirectory()) throw new RepositoryError('invalid-argument', `[journal] cannot journal "${source}": not a directory`);
  await refuseReplica(repo, 'journal');
  const prunes = await PruneWatch.start(repo);
  const previous = await previousState(repo, source, input.host);
  const index = await MasterIndex.load(repo, { excludePacks: prunes.packsToAvoid });
  const store = new BlobStore(repo, index, { threads: input.threads, signal: input.signal });
  try {
    const scan = new SegmentScan(source, previous, index, createPathFilter([], input.excludes ?? []));
    scan.visitAll([...input.changed, ...input.deleted].map((p) => relativePath(source, p)));
    const entries = await scan.encodeFiles(store, input.signal);
    await store.flush();
    const file: JournalSegmentFile = {
      version: 1,
      source,
      host: input.host,
      from: input.from.toISOString(),
      until: input.until.toISOString(),
      ...(input.rescan !== undefined && { rescan: input.rescan }),
      entries,
      deleted: [...scan.deleted].sort(),
      ...(scan.skipped.length > 0 && { filesSkipped: scan.skipped.length }),
    };
    await prunes.checkBeforeCommit();
    const sealed = repo.sealJsonFile(file);
    await repo.storage.put({ type: 'journal', name: sealed.name }, sealed.stored);
    await prunes.checkAfterCommit(sealed.name, 'journal');
    applySegment(previous, file);
    statesOf(repo).set(stateKey(source, input.host), { segment: sealed.name, state: previous });
    return { segment: segmentSummary({ ...file, id: sealed.name }), bytesAdded: store.bytesAdded, skipped: scan.skipped };
  } finally {
    await store.close();
  }
}

function statesOf(repo: Repository) {
  let states = lastStates.get(repo);
  if (!states) lastStates.set(repo, (states = new Map()));
  return states;
}

const stateKey = (source: string, host: string) => `${host}\0${source}`;

/** The source's state as of its newest segment (or snapshot): the one this process left, when that segment is still the newest. */
async function previousState(repo: Repository, source: string, host: string): Promise<JournalState> {
  const segments = await listJournalSegments(repo, { source, host });
  const kept = statesOf(repo).get(stateKey(source, host));
  if (kept && kept.segment === segments[segments.length - 1]?.id) return kept.state;
  return stateAt(repo, { source, host });
}

/** A watcher's path as a relative one ('' for the source itself); refuses one outside the source. */
function relativePath(source: string, p: string): string {
  const rel = path.relative(source, path.resolve(source, p));
  if (rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) throw new RepositoryError('invalid-argument', `[journal] "${p}" is not inside ${source}`);
  return rel.split(path.sep).join('/');
}

/** The entries of one segment: each visited path's node as it is now, and the paths gone since the previous state. */
class SegmentScan {
  readonly deleted = new Set<string>();
  /** Files that could not be read: left as they were in the previous state. */
  readonly skipped: string[] = [];
  private readonly entries = new Map<string, TreeNode>();
  private readonly toEncode: { path: string; node: TreeNode }[] = [];
  private readonly visited = new Set<string>();
  private readonly children: Map<string, Set<string>>;
  private readonly ownerNames = new OwnerNames();

  constructor(
    private readonly source: string,
    private readonly previous: JournalState,
    private readonly index: MasterIndex,
    private readonly filter: PathFilter,
  ) {
    this.children = childrenOf(previous);
  }

  /** Visits the paths and every directory above them that the previous state does not hold as a directory. */
  visitAll(paths: string[]): void {
    const queue = new Set<string>();
    for (const p of paths) {
      // The directory holding a path is visited too: its listing and mtime change when the path comes or goes.
      if (p !== '') queue.add(parentPath(p));
      for (let dir = parentPath(p); dir !== '' && this.previous.get(dir)?.type !== 'dir'; dir = parentPath(dir)) queue.add(dir);
      queue.add(p);
    }
    // Parents first: a new directory's listing queues its children.
    for (const p of [...queue].sort((a, b) => depth(a) - depth(b))) this.visit(p);
  }

  private visit(p: string): void {
    if (this.visited.has(p)) return;
    this.visited.add(p);
    if (p !== '' && this.filter.excludedWithin(p)) return;
    const abs = p === '' ? this.source : path.join(this.source, p);
    let st: fs.BigIntStats | undefined;
    try {
      st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    if (!st) {
      if (p !== '') this.gone(p);
      return;
    }
    if (st.isDirectory()) {
      this.visitListing(p, abs);
      if (p === '') return;
    }
    const node = this.node(p, abs, st);
    if (!node) return;
    const before = this.previous.get(p);
    if (node.type === 'file') {
      if (before && sameFile(before, node) && before.content!.every((id) => this.index.has(id))) return;
      this.toEncode.push({ path: p, node });
      return;
    }
    if (before && sameEntry(before, node)) return;
    this.entries.set(p, node);
  }

  /** A directory's listing against the previous state's: new names are visited, missing ones are gone. */
  private visitListing(p: string, abs: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const before = this.children.get(p) ?? new Set<string>();
    const now = new Set(names);
    for (const name of before) if (!now.has(name)) this.gone(p === '' ? name : `${p}/${name}`);
    for (const name of names) if (!before.has(name)) this.visit(p === '' ? name : `${p}/${name}`);
  }

  private gone(p: string): void {
    if (this.previous.has(p) || this.entries.has(p)) this.deleted.add(p);
    this.entries.delete(p);
  }

  /** The node of an entry from its lstat; undefined for one that vanished meanwhile (then it is gone). */
  private node(p: string, abs: string, st: fs.BigIntStats): TreeNode | undefined {
    const common = entryFields(this.ownerNames, path.posix.basename(p), undefined, abs, entryStatOf(st));
    if (st.isDirectory()) return { ...common, type: 'dir' };
    if (st.isFile()) return { ...common, type: 'file', size: Number(st.size), inode: st.ino.toString(), dev: st.dev.toString(), ctimeNs: st.ctimeNs.toString() };
    if (st.isSymbolicLink()) {
      try {
        return { ...common, type: 'symlink', target: fs.readlinkSync(abs) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.gone(p);
        return undefined;
      }
    }
    if (st.isFIFO()) return { ...common, type: 'fifo' };
    if (st.isSocket()) return { ...common, type: 'socket' };
    return { ...common, type: st.isCharacterDevice() ? 'chardev' : 'blockdev', rdev: st.rdev.toString() };
  }

  /** Reads the changed files into the store; returns the segment's entries, sorted by path. A file gone meanwhile is gone; one that cannot be read is skipped. */
  async encodeFiles(store: BlobStore, signal: AbortSignal | undefined): Promise<JournalSegmentFile['entries']> {
    for (let i = 0; i < this.toEncode.length; i += BATCH_FILES) {
      signal?.throwIfAborted();
      const batch = this.toEncode.slice(i, i + BATCH_FILES);
      const results = await store.pool.encode(batch.map((f) => path.join(this.source, f.path)));
      batch.forEach(({ path: p, node }, j) => {
        const result = results[j]!;
        if (result.error !== undefined) {
          if (result.error.startsWith('ENOENT')) this.gone(p);
          else this.skipped.push(p);
          return;
        }
        this.entries.set(p, { ...node, content: result.content, size: result.bytesRead });
      });
    }
    return [...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, node]) => ({ path: p, node }));
  }
}

const depth = (p: string) => (p === '' ? 0 : p.split('/').length);

function sameFile(before: TreeNode, now: TreeNode): boolean {
  return before.type === 'file' && before.content !== undefined && before.size === now.size && before.mtimeNs === now.mtimeNs && before.ctimeNs === now.ctimeNs && before.inode === now.inode;
}

/** Same type and metadata (a directory's children are not compared). */
function sameEntry(before: TreeNode, now: TreeNode): boolean {
  const { subtree: _s, ...a } = before;
  return JSON.stringify(a) === JSON.stringify(now);
}
