// Backup: walks a source directory depth-first, in memory bounded by its depth and width, not
// its size (recording each entry's type, mode, mtime, owner, extended
// attributes, link count and device number), encodes new and changed files through the encoder pool,
// reuses the chunk lists of unchanged files from the parent snapshot without reading them,
// writes directory trees bottom-up, then packs → index → snapshot, in that order.

import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as turnOfEventLoop } from 'node:timers/promises';
import { handled } from './concurrently.js';
import { BlobReader } from './blobReader.js';
import { BlobStore } from './blobStore.js';
import { entryFields } from './entryFields.js';
import { DirectoryStats, EntryStat, entryKind } from './entryStats.js';
import { RepositoryError } from './errors.js';
import { MasterIndex } from './masterIndex.js';
import type { CommitFence } from './locks.js';
import { OwnerNames } from './ownerNames.js';
import { PruneWatch } from './pruneWatch.js';
import { createPathFilter, PathFilter } from './pathFilter.js';
import { Repository } from './repository.js';
import { judgeChanges, judgementHistory, Suspicion } from './changeAnomaly.js';
import { BackupType, chooseParent, currentHost, listSnapshots, PgBackupInfo, sealSnapshot, SnapshotStats, storeSnapshot } from './snapshots.js';
import { childPath, errorReason, PathBytes, printableBounded, textAndRaw } from './fileNames.js';
import { FileBatcher } from './fileBatcher.js';
import { Slots } from './slots.js';
import { decodeTree, encodeTree, Tree, TreeNode } from './tree.js';
import { sameNodes } from './sameNodes.js';
import type { ReplicaBarrier } from './replicaBarrier.js';
import { addWarning } from './warnings.js';
import { refuseReplica } from './replicaState.js';

export interface BackupOptions {
  source: string;
  /**
   * The source the snapshot records, and finds its parent by, instead of the resolved directory:
   * a PostgreSQL base backup staged in a fresh temporary directory is `pg:<cluster>`.
   */
  sourceName?: string;
  /** The base backup's PostgreSQL facts, recorded in the manifest (core/pgBaseBackup.ts). */
  pg?: PgBackupInfo;
  type: BackupType;
  tags?: string[];
  excludes?: string[];
  host?: string;
  /** The time recorded in the snapshot (`backup --time`, to import a history); defaults to when the backup starts. */
  time?: Date;
  /** Encoder threads; 0 encodes inline. Defaults to the number of cores. */
  threads?: number;
  onProgress?: (progress: BackupProgress) => void;
  /** Stops the backup between files; no snapshot is written. */
  signal?: AbortSignal;
  /** The run's lock, confirmed just before the snapshot is committed and told once the committed snapshot stands. */
  commit?: CommitFence;
  /**
   * A sync or quorum replica set's barrier (core/replicaBarrier.ts): the snapshot is committed only
   * once enough replicas hold its data, and goes to them before the primary.
   */
  replicas?: ReplicaBarrier;
}

export interface BackupProgress {
  filesDone: number;
  filesFound: number;
  bytesDone: number;
  bytesFound: number;
  bytesRead: number;
  bytesAdded: number;
  bytesStored: number;
  /** Why the backup waits before committing (replicas not holding its data yet); absent when it does not. */
  waiting?: string;
}

export interface BackupResult {
  snapshotId: string;
  /** The host and (resolved) source directory the snapshot records: what retention groups it by. */
  host: string;
  source: string;
  type: BackupType;
  parent: string | null;
  stats: SnapshotStats;
  /**
   * Entries that could not be listed, lstat'ed or read (denied, vanished, name too long,
   * unsupported type…); they are not in the snapshot, which is then marked incomplete.
   */
  filesSkipped: number;
  /** "skipped PATH: REASON" for the first 100 skipped entries, each at most ~300 characters. */
  warnings: string[];
  /** Present when the changes look like ransomware at work (core/changeAnomaly.ts): the snapshot records it too. */
  suspectedRansomware?: Suspicion;
}

/** Entries walked between two turns of the event loop. */
const YIELD_EVERY = 256;
/** Subdirectories ahead of the walk whose parent-snapshot trees are read in advance. */
const PREFETCH_TREES = 8;
/** Errors of the process, not of one entry: they fail the backup. */
const PROCESS_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

export async function backup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  const directory = path.resolve(options.source);
  const source = options.sourceName ?? directory;
  const rootStat = await fsp.stat(directory).catch((err: NodeJS.ErrnoException) => {
    throw new RepositoryError('invalid-argument', `cannot back up "${directory}": ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
  });
  if (!rootStat.isDirectory()) throw new RepositoryError('invalid-argument', `cannot back up "${directory}": not a directory`);
  if (options.time && Number.isNaN(options.time.getTime())) throw new RepositoryError('invalid-argument', 'the snapshot time is not a valid date');
  // The snapshot's time is when its walk starts (restic's too): every entry in it was read at or
  // after then, so a change journaled in a segment ending after then is applied on top of it.
  const time = (options.time ?? new Date()).toISOString();
  let names: Listing;
  try {
    names = listDirectory(directory);
  } catch (err) {
    throw new RepositoryError('invalid-argument', `cannot back up "${directory}": ${errorReason(err)}`);
  }

  const host = options.host ?? currentHost();
  await refuseReplica(repo, 'backup');
  // Plans first, then snapshots and index (see "How prune stays safe" in the README).
  const prunes = await PruneWatch.start(repo);
  const earlier = await listSnapshots(repo);
  const parent = chooseParent(earlier, host, source, options.type);
  const type: BackupType = parent ? options.type : 'full';
  const index = await MasterIndex.load(repo, { excludePacks: prunes.packsToAvoid });
  const run = new BackupRun(repo, index, createPathFilter([], options.excludes ?? []), options);
  try {
    const previousRoot = parent && run.readTree(parent.tree);
    const tree = await (await run.archiveDirectory(directory, '', names, previousRoot)).tree;
    await run.finish();
    const stats = run.snapshotStats();
    const suspicion = options.pg || !parent ? undefined : judgeChanges(stats, judgementHistory(earlier, host, source));
    // Replicas catch up on data while the lock holds off any prune marked since our start.
    await options.replicas?.awaitData(options.signal, (reason) => run.waiting(reason));
    await prunes.checkBeforeCommit();
    const snapshot = sealSnapshot(repo, {
      version: 1,
      time,
      host,
      source,
      type,
      parent: parent?.id ?? null,
      tags: options.tags ?? [],
      excludes: options.excludes ?? [],
      tree,
      stats,
      ...(run.filesSkipped > 0 && { incomplete: true, filesSkipped: run.filesSkipped }),
      ...(options.pg && { pg: options.pg }),
      ...(suspicion && { suspectedRansomware: suspicion }),
    });
    const snapshotId = snapshot.name;
    // The replicas' copies first: the primary's file acknowledges a snapshot every required repository holds.
    // The lock is confirmed before they get it too, so that a lost lock leaves no replica showing it.
    if (options.replicas) {
      await options.commit?.beforeCommit();
      await options.replicas.publishSnapshot(snapshotId, snapshot.stored, options.signal);
    }
    try {
      await options.commit?.beforeCommit();
      await storeSnapshot(repo, snapshot);
      await prunes.checkAfterCommit(snapshotId);
    } catch (err) {
      await options.replicas?.withdrawSnapshot(snapshotId).catch(() => undefined);
      throw err;
    }
    options.commit?.committed();
    return { snapshotId, host, source, type, parent: parent?.id ?? null, stats, filesSkipped: run.filesSkipped, warnings: run.warnings, ...(suspicion && { suspectedRansomware: suspicion }) };
  } finally {
    await run.close();
  }
}

interface PendingFile {
  node: TreeNode;
  abs: PathBytes;
  isNew: boolean;
  /** Set on the first member of a hard-link group read in this run: its twins wait for it. */
  linkGroup?: LinkGroup;
}

/** A subdirectory met in its parent's walk, walked once the parent's own entries are done. */
interface Subdirectory {
  node: TreeNode;
  abs: PathBytes;
  rel: string;
  /** Its tree in the parent snapshot, until its read starts. */
  previousId?: string;
  /** That tree being read, until the subdirectory is entered. */
  previousTree?: PreviousTree;
}

interface WalkedEntries {
  nodes: TreeNode[];
  subdirectories: Subdirectory[];
  work: Promise<void>[];
  /** The parent snapshot's nodes of the directory, by name, and how many its tree holds. */
  previous?: { byName: Map<string, TreeNode>; count: number };
}

/** A directory's tree in the parent snapshot: its id, and the tree being read. */
interface PreviousTree {
  id: string;
  tree: Promise<Tree>;
}

/** A directory walked to the end: its tree id, once its files are encoded and its subdirectories stored. */
interface WalkedDirectory {
  tree: Promise<string>;
}

/** The files of one inode: the first one is read, the others take its chunk list. */
interface LinkGroup {
  first: TreeNode;
  encoded: Promise<void>;
  settle: () => void;
}

/** The state of one backup: dedup set, pack and index writers, the encoder pool, counters. */
class BackupRun {
  private readonly store: BlobStore;
  private readonly reader: BlobReader;
  private readonly progress: BackupProgress = { filesDone: 0, filesFound: 0, bytesDone: 0, bytesFound: 0, bytesRead: 0, bytesAdded: 0, bytesStored: 0 };
  private readonly counts = { files: 0, dirs: 0, filesNew: 0, filesChanged: 0, filesUnmodified: 0, filesRenamedExtension: 0 };
  /** Bytes read of files still being encoded: progress inside a large file. */
  private readInFlight = 0;
  private readonly ownerNames = new OwnerNames();
  private readonly stats = new DirectoryStats();
  private readonly linkGroups = new Map<string, LinkGroup>();
  /** Batches handed to the encoder pool and not finished: the walk waits for a slot. */
  private readonly encodeSlots: Slots;
  private entriesSinceTurn = 0;
  /** The first batch that failed: the walk stops with its error. */
  private failure: { err: unknown } | undefined;
  filesSkipped = 0;
  readonly warnings: string[] = [];

  constructor(
    repo: Repository,
    private readonly index: MasterIndex,
    private readonly filter: PathFilter,
    private readonly options: BackupOptions,
  ) {
    this.reader = new BlobReader(repo, index);
    this.encodeSlots = new Slots(2 * (options.threads ?? os.availableParallelism()) + 2);
    this.store = new BlobStore(repo, index, {
      threads: options.threads,
      signal: options.signal,
      onPack: () => this.report(),
      onRead: (bytes) => {
        this.readInFlight += bytes;
        if (bytes > 0) this.report();
      },
    });
  }

  /**
   * Archives a directory, given its names, depth-first: its own entries first (files handed to the
   * encoders as batches fill), then its subdirectories one after another, each listed only when it
   * is entered. Resolves once the whole subtree is walked; `tree` then gives the directory's tree id
   * once its files are encoded, so that the walk goes on while the encoders finish the last batches.
   */
  async archiveDirectory(abs: PathBytes, rel: string, names: Listing, previousTree: PreviousTree | undefined): Promise<WalkedDirectory> {
    const { nodes, subdirectories, work, previous } = await this.walkEntries(abs, rel, names, previousTree?.tree);
    for (let i = 0; i < subdirectories.length; i++) {
      this.readPreviousTrees(subdirectories, i);
      const sub = subdirectories[i]!;
      const previous = sub.previousTree;
      delete sub.previousTree;
      this.options.signal?.throwIfAborted();
      const children = this.entry(sub.abs, () => listDirectory(sub.abs));
      if (!children) continue;
      const walked = await this.archiveDirectory(sub.abs, sub.rel, children, previous);
      work.push(handled(walked.tree.then((id) => void (sub.node.subtree = id))));
    }
    const tree = Promise.all(work).then(() => {
      this.counts.dirs += 1;
      // Files that could not be read and directories that could not be listed are left out.
      const kept = nodes.filter((n) => (n.type === 'dir' ? n.subtree !== undefined : n.type !== 'file' || n.content !== undefined));
      // Nothing changed in it: its tree is the parent snapshot's, stored already.
      if (previousTree && previous && sameNodes(kept, previous.byName, previous.count, nodeId)) return previousTree.id;
      return this.store.storeTree(encodeTree(kept));
    });
    return { tree: handled(tree) };
  }

  /** A directory's own entries: its nodes, its subdirectories still to walk, and the work on its files under way. */
  private async walkEntries(abs: PathBytes, rel: string, names: Listing, previousTree: Promise<Tree> | undefined): Promise<WalkedEntries> {
    const previousNodes = previousTree && (await previousTree).nodes;
    const previous = previousNodes && nodesByName(previousNodes);
    const nodes: TreeNode[] = [];
    const work: Promise<void>[] = [];
    const subdirectories: Subdirectory[] = [];
    const toEncode = new FileBatcher<PendingFile>();
    /** Files not in the parent tree: only they can be renames. */
    const newFiles: TreeNode[] = [];
    // Synchronous lstat, a batch of names per native call (core/entryStats.ts), with a turn of the
    // event loop every YIELD_EVERY entries so that timers and heartbeats run in a huge directory too.
    for (let i = 0; i < names.length; i++) {
      const entry = names[i]!;
      this.options.signal?.throwIfAborted();
      if (this.failure) throw this.failure.err;
      if (++this.entriesSinceTurn >= YIELD_EVERY) await this.yieldToEventLoop();
      // Most names are valid UTF-8 strings: no object is made for them.
      const named = typeof entry === 'string' ? undefined : textAndRaw(entry);
      const name = named ? named.text : (entry as string);
      const rawName = named?.raw;
      const childRel = rel ? `${rel}/${name}` : name;
      if (this.filter.excluded(childRel)) continue;
      const childAbs = childPath(abs, rawName === undefined ? name : entry);
      const st = this.statOf(abs, names, i, childAbs);
      if (!st) continue;
      const before = previous?.get(nameId(name, rawName));
      const common = entryFields(this.ownerNames, name, rawName, childAbs, st, before);
      const kind = entryKind(st);
      if (kind === 'dir') {
        const node = typed(common, 'dir');
        nodes.push(node);
        subdirectories.push({ node, abs: childAbs, rel: childRel, previousId: before?.type === 'dir' ? before.subtree : undefined });
      } else if (kind === 'symlink') {
        const target = this.entry(childAbs, () => fs.readlinkSync(childAbs, { encoding: 'buffer' }));
        if (!target) continue;
        const { text, raw: rawTarget } = textAndRaw(target);
        const node = typed(common, 'symlink');
        node.target = text;
        if (rawTarget !== undefined) node.rawTarget = rawTarget;
        nodes.push(node);
      } else if (kind === 'file') {
        const node = typed(common, 'file');
        node.size = st.size;
        node.inode = st.ino;
        node.dev = st.dev;
        node.ctimeNs = st.ctimeNs;
        if (st.nlink > 1) node.nlink = st.nlink;
        nodes.push(node);
        this.progress.filesFound += 1;
        this.progress.bytesFound += node.size!;
        let pending: PendingFile | undefined;
        if (previous && before === undefined) newFiles.push(node);
        if (before && this.unchanged(before, node)) {
          node.content = before.content;
          this.counts.filesUnmodified += 1;
          this.fileDone(node);
        } else if (node.nlink === undefined) {
          pending = { node, abs: childAbs, isNew: before === undefined };
        } else {
          const group = this.linkGroups.get(`${node.dev}:${node.inode}`);
          if (group) work.push(group.encoded.then(() => this.linkedFileDone(group.first, node, childAbs, before === undefined)));
          else pending = { node, abs: childAbs, isNew: before === undefined, linkGroup: this.newLinkGroup(node) };
        }
        const full = pending && toEncode.add(pending, node.size!);
        if (full) await this.submit(full, work);
      } else if (kind === 'fifo' || kind === 'socket') {
        nodes.push(typed(common, kind));
      } else if (kind === 'chardev' || kind === 'blockdev') {
        const node = typed(common, kind);
        node.rdev = st.rdev;
        nodes.push(node);
      }
    }
    if (previous && newFiles.length > 0) this.counts.filesRenamedExtension += renamedWithNewExtension(newFiles, nodes, previous);
    // Before any subdirectory: a hard link met there waits for a first file that is already submitted.
    const rest = toEncode.rest();
    if (rest) await this.submit(rest, work);
    return { nodes, subdirectories, work, ...(previous && { previous: { byName: previous, count: previousNodes!.length } }) };
  }

  /** Starts reading the parent snapshot's trees of the next few subdirectories, so that those reads overlap the walk. */
  private readPreviousTrees(subdirectories: Subdirectory[], from: number): void {
    for (const sub of subdirectories.slice(from, from + PREFETCH_TREES)) {
      if (sub.previousId === undefined) continue;
      sub.previousTree = this.readTree(sub.previousId);
      delete sub.previousId;
    }
  }

  /**
   * Reads a directory's tree in the parent snapshot, or nothing when a prune condemned its pack (then
   * its files are read again). Not through the reader's tree cache: each tree is read once here.
   */
  readTree(id: string): PreviousTree | undefined {
    if (!this.index.has(id)) return undefined;
    return { id, tree: handled(this.reader.read(id).then((bytes) => decodeTree(bytes, id))) };
  }

  /** Hands a batch to the encoders once fewer than the limit are under way; its completion joins `work`. */
  private async submit(files: PendingFile[], work: Promise<void>[]): Promise<void> {
    await this.encodeSlots.acquire();
    work.push(handled(this.encodeBatch(files).finally(() => this.encodeSlots.release())));
  }

  /**
   * Lets timers and I/O run (heartbeats, uploads, progress); the walk calls it every YIELD_EVERY
   * entries, counting them itself so that the other entries await nothing.
   */
  private async yieldToEventLoop(): Promise<void> {
    this.entriesSinceTurn = 0;
    await turnOfEventLoop();
  }

  /** An entry's lstat, or undefined when it failed for this entry alone (then it is skipped with a warning). */
  private statOf(directory: PathBytes, names: Listing, i: number, entryPath: PathBytes): EntryStat | undefined {
    try {
      return this.stats.of(directory, names, i, entryPath);
    } catch (err) {
      return this.entryFailed(entryPath, err);
    }
  }

  /** Runs one filesystem call for an entry; an error that concerns only this entry skips it with a warning. */
  private entry<T>(abs: PathBytes, call: () => T): T | undefined {
    try {
      return call();
    } catch (err) {
      return this.entryFailed(abs, err);
    }
  }

  /** Skips the entry when its call failed for it alone; rethrows an error of the process. */
  private entryFailed(abs: PathBytes, err: unknown): undefined {
    if (!isEntryError(err)) throw err;
    this.skip(abs, errorReason(err));
    return undefined;
  }

  /** Counts an entry left out of the snapshot; the first MAX_WARNINGS get a warning naming them. */
  private skip(abs: PathBytes, reason: string): void {
    this.filesSkipped += 1;
    addWarning(this.warnings, `skipped ${printableBounded(abs)}: ${reason}`);
  }

  async finish(): Promise<void> {
    await this.store.flush();
    this.report();
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  /** Reports why the run waits before its commit, or that it no longer does. */
  waiting(reason: string | undefined): void {
    if (reason === undefined) delete this.progress.waiting;
    else this.progress.waiting = reason;
    this.report();
  }

  snapshotStats(): SnapshotStats {
    return {
      ...this.counts,
      bytes: this.progress.bytesDone,
      bytesRead: this.progress.bytesRead,
      bytesAdded: this.store.bytesAdded,
      bytesStored: this.store.bytesStored,
    };
  }

  private unchanged(before: TreeNode, now: TreeNode): boolean {
    return (
      before.type === 'file' &&
      before.size === now.size &&
      before.mtimeNs === now.mtimeNs &&
      before.ctimeNs === now.ctimeNs &&
      before.inode === now.inode &&
      before.content !== undefined &&
      before.content.every((id) => this.index.has(id))
    );
  }

  private async encodeBatch(files: PendingFile[]): Promise<void> {
    try {
      this.options.signal?.throwIfAborted();
      const results = await this.store.pool.encode(files.map((f) => f.abs));
      files.forEach((f, i) => {
        const result = results[i]!;
        this.progress.bytesRead += result.bytesRead;
        if (result.error !== undefined) {
          this.skip(f.abs, result.error);
          return;
        }
        f.node.content = result.content;
        f.node.size = result.bytesRead;
        this.encodedFileDone(f.node, f.isNew);
      });
      this.report();
    } catch (err) {
      // The walk stops at its next entry instead of walking on for a backup that has failed.
      this.failure ??= { err };
      throw err;
    } finally {
      for (const f of files) f.linkGroup?.settle();
    }
  }

  private newLinkGroup(first: TreeNode): LinkGroup {
    let settle = () => {};
    const encoded = new Promise<void>((resolve) => (settle = resolve));
    const group = { first, encoded, settle };
    this.linkGroups.set(`${first.dev}:${first.inode}`, group);
    return group;
  }

  /** A hard link to a file this run has read: same inode, so same content, not read again. */
  private linkedFileDone(first: TreeNode, node: TreeNode, abs: PathBytes, isNew: boolean): void {
    if (first.content === undefined) {
      this.skip(abs, 'the file it is a hard link to could not be read');
      return;
    }
    node.content = first.content;
    node.size = first.size;
    this.encodedFileDone(node, isNew);
  }

  private encodedFileDone(node: TreeNode, isNew: boolean): void {
    if (isNew) this.counts.filesNew += 1;
    else this.counts.filesChanged += 1;
    this.fileDone(node);
  }

  private fileDone(node: TreeNode): void {
    this.counts.files += 1;
    this.progress.filesDone += 1;
    this.progress.bytesDone += node.size ?? 0;
  }

  private report(): void {
    const inFlight = this.readInFlight;
    this.options.onProgress?.({
      ...this.progress,
      bytesRead: this.progress.bytesRead + inFlight,
      bytesDone: this.progress.bytesDone + inFlight,
      bytesAdded: this.store.bytesAdded,
      bytesStored: this.store.bytesStored,
    });
  }
}

/** Identifies a name within a directory: the name, or for one that is not UTF-8 its base64 bytes after a NUL (which no name holds). */
function nameId(name: string, rawName: string | undefined): string {
  return rawName === undefined ? name : `\0${rawName}`;
}

const nodeId = (node: TreeNode) => nameId(node.name, node.rawName);

/**
 * An entry's fields as its node of this type, without copying them: the type and the fields a
 * walk adds after it keep the order in which a tree records them (`{ ...fields, type, ... }`).
 */
function typed(fields: Omit<TreeNode, 'type'>, type: TreeNode['type']): TreeNode {
  const node = fields as TreeNode;
  node.type = type;
  return node;
}

/** A tree's nodes by name (nodeId). */
function nodesByName(nodes: readonly TreeNode[]): Map<string, TreeNode> {
  const byName = new Map<string, TreeNode>();
  for (const node of nodes) byName.set(nodeId(node), node);
  return byName;
}

/** A directory's names: as strings while all are valid UTF-8, else all as bytes. */
type Listing = string[] | Buffer[];

/**
 * How many of a directory's new files are named as a file of its parent-snapshot tree that is gone,
 * with an extension added or changed (`a.png` → `a.png.locked` or `a.locked`): what ransomware
 * leaves. The gone files are indexed once, and only when a new file has an extension.
 */
function renamedWithNewExtension(newFiles: readonly TreeNode[], nodes: readonly TreeNode[], previous: ReadonlyMap<string, TreeNode>): number {
  let gone: { names: Set<string>; stems: Set<string> } | undefined;
  let count = 0;
  for (const node of newFiles) {
    const stem = stemOf(node.name);
    if (stem === undefined) continue;
    gone ??= goneFiles(nodes, previous);
    if (gone.names.has(stem) || gone.stems.has(stem)) count += 1;
  }
  return count;
}

/** The names of the parent tree's files that are not in the directory now, and their stems. */
function goneFiles(nodes: readonly TreeNode[], previous: ReadonlyMap<string, TreeNode>): { names: Set<string>; stems: Set<string> } {
  const present = new Set(nodes.map((n) => n.name));
  const names = new Set<string>();
  const stems = new Set<string>();
  for (const node of previous.values()) {
    if (node.type !== 'file' || present.has(node.name)) continue;
    names.add(node.name);
    const stem = stemOf(node.name);
    if (stem !== undefined) stems.add(stem);
  }
  return { names, stems };
}

/** A name without its last extension (`a.png.locked` → `a.png`); undefined when it has none. */
function stemOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : undefined;
}

/**
 * Lists a directory. Names are bytes, but listing as strings costs half as much and is exact for
 * valid UTF-8; a name that is not valid UTF-8 shows there as U+FFFD, and then the directory is
 * listed again as bytes.
 */
function listDirectory(abs: PathBytes): Listing {
  const names = fs.readdirSync(abs);
  return names.some((n) => n.includes('\uFFFD')) ? fs.readdirSync(abs, { encoding: 'buffer' }) : names;
}

/** A failed system call about one entry (denied, vanished, name too long, a loop…): the entry is skipped. */
function isEntryError(err: unknown): boolean {
  const { code, syscall } = err as NodeJS.ErrnoException;
  return syscall !== undefined && code !== undefined && !PROCESS_ERRORS.has(code);
}
