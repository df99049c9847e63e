// Restore: a first walk of the snapshot's trees checks every entry before anything is written
// (names that could escape the target are refused; names are bytes, restored exactly) and counts
// what is to restore. A second walk recreates directories, symlinks, FIFOs and device nodes as it
// meets them and hands files to windows of bounded size, each written pack by pack (every blob
// checked: by its AES-GCM tag, or by its id in an unencrypted repository) while the walk fills the
// next, so memory does not grow with the number of files. Hard-linked files are linked to the
// first one restored; owners, attributes, modes and mtimes are set on each file as it completes,
// and on each directory, deepest first, once every file in it is written. A file already in the
// target with the right size, mtime and content (its chunks have the snapshot's blob ids) is kept,
// so a retried restore resumes. Damage is salvaged around: a file whose data is lost or damaged is
// reported and removed from the target, a directory whose tree cannot be read is restored empty
// and reported, and everything intact is restored.
import fs, { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobReader } from './blobReader.js';
import { spansGate, writeFileContents } from './contentWriter.js';
import { blobId } from './crypto.js';
import { createDecoderPool, DecoderPool } from './decoderPool.js';
import { endIdleEncoderThreads } from './encoderThreads.js';
import { fileFinish, makeSpecialEntry, restoreEntryMetadata, restoringAsRoot } from './entryMetadata.js';
import { MasterIndex } from './masterIndex.js';
import { packsBeingPruned } from './prunePlan.js';
import { createPathFilter } from './pathFilter.js';
import { Repository } from './repository.js';
import { findSnapshot } from './snapshots.js';
import { childPath, PathBytes, printableBounded } from './fileNames.js';
import { nodeTargetBytes, Tree, TreeNode } from './tree.js';
import { unsafe, walkRestoreTree, WalkedDir, WalkedEntry } from './restoreWalk.js';
import { RestoreWindows } from './restoreWindows.js';
import { addWarning } from './warnings.js';

export interface RestoreOptions {
  target: string;
  includes?: string[];
  excludes?: string[];
  onProgress?: (progress: RestoreProgress) => void;
  /** Stops the restore between files. */
  signal?: AbortSignal;
  /** Decoder threads; 0 decodes inline. Defaults to the number of cores. */
  threads?: number;
  /** Files planned and written at once; defaults to 16,384 (tests use small windows). */
  windowFiles?: number;
}

export interface RestoreProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export interface RestoreResult {
  snapshotId: string;
  files: number;
  dirs: number;
  symlinks: number;
  /** FIFOs and device nodes recreated. */
  specialFiles: number;
  /** Files restored as a hard link to another restored file (counted in `files` too). */
  hardLinks: number;
  bytes: number;
  /** Files that were already complete in the target (a resumed restore). */
  filesSkipped: number;
  /** Files (and directories whose tree is unreadable) not restored because their data is damaged or lost. */
  filesDamaged: number;
  /** The first of them: at most MAX_DAMAGED_LISTED, and at most MAX_DAMAGED_LISTED_CHARS of paths and reasons. */
  damaged: DamagedEntry[];
  /** Entries in the snapshot that were not recreated, and why (sockets; devices when not root). */
  warnings: string[];
}

export interface DamagedEntry {
  /** Relative to the target; a directory ends with '/'. */
  path: string;
  reason: string;
}

/** Damaged entries listed in a result (all are counted): a result stays small in workflow history. */
export const MAX_DAMAGED_LISTED = 50;
/** Paths can be 4,096 bytes long: the list is also bounded in size. */
export const MAX_DAMAGED_LISTED_CHARS = 32 * 1024;

/** What a restore writes: a snapshot's root tree, or one built in memory (a restore to a time), with the trees it holds. */
export interface RestoreRoot {
  snapshotId: string;
  tree: string;
  /** Trees not in the repository, looked up first. */
  trees?: ReadonlyMap<string, Tree>;
}

export async function restore(repo: Repository, snapshotRef: string, options: RestoreOptions): Promise<RestoreResult> {
  return restoreRoot(
    repo,
    async () => {
      const snapshot = await findSnapshot(repo, snapshotRef);
      return { snapshotId: snapshot.id, tree: snapshot.tree };
    },
    options,
  );
}

/** Restores the root `resolve` returns (called once the decoder threads are starting). */
export async function restoreRoot(repo: Repository, resolve: () => Promise<RestoreRoot>, options: RestoreOptions): Promise<RestoreResult> {
  // Idle encoder threads hold ~40 MiB each that decoding can use. The decoder threads start
  // first, so they boot while the index loads and the trees are walked.
  await endIdleEncoderThreads();
  const decoder = createDecoderPool(repo.keys, options.threads ?? os.availableParallelism());
  try {
    return await restoreWith(decoder, repo, await resolve(), options);
  } finally {
    await decoder.close();
  }
}

async function restoreWith(decoder: DecoderPool, repo: Repository, root: RestoreRoot, options: RestoreOptions): Promise<RestoreResult> {
  const damagedIndexFiles: string[] = [];
  const reader = new BlobReader(repo, await MasterIndex.load(repo, { onDamaged: (name) => damagedIndexFiles.push(name), demotePacks: await packsBeingPruned(repo) }));
  const filter = createPathFilter(options.includes, options.excludes);
  const readTree = async (id: string) => root.trees?.get(id) ?? reader.tree(id);

  // A first walk checks every name before anything is written, and counts what is to restore.
  const progress: RestoreProgress = { filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
  await walkRestoreTree(readTree, filter, root.tree, {
    enterDir: () => undefined,
    leaveDir: () => undefined,
    damagedTree: () => undefined,
    entry: ({ node }) => {
      if (node.type !== 'file') return;
      progress.filesTotal += 1;
      progress.bytesTotal += node.size ?? 0;
    },
  });

  const target = path.resolve(options.target);
  await fsp.mkdir(target, { recursive: true });
  const realTarget = await fsp.realpath(target);
  const at = (e: WalkedEntry) => childPath(realTarget, e.relPath);
  const result: RestoreResult = { snapshotId: root.snapshotId, files: 0, dirs: 0, symlinks: 0, specialFiles: 0, hardLinks: 0, bytes: 0, filesSkipped: 0, filesDamaged: 0, damaged: [], warnings: [] };
  const damaged: DamagedEntry[] = [];
  /** Why each damaged file was not restored: a hard link to one is not restored either. */
  const damagedReasons = new Map<string, string>();
  const asRoot = restoringAsRoot();
  const countFile = (node: TreeNode) => {
    result.files += 1;
    result.bytes += node.size ?? 0;
    progress.filesDone += 1;
  };
  let lastReport = 0;
  const spans = spansGate(decoder);
  const windows = new RestoreWindows(
    {
      writeFiles: (files) =>
        writeFileContents(reader, files, {
          decoder,
          spans,
          signal: options.signal,
          onBytes: (n) => {
            progress.bytesDone += n;
            if (Date.now() - lastReport > 250) {
              lastReport = Date.now();
              options.onProgress?.({ ...progress });
            }
          },
          onFileDone: (f) => countFile(f.node),
        }),
      finish: (window, damagedFiles) => {
        for (const { file, reason } of damagedFiles) {
          damagedReasons.set(file.rel, reason);
          damaged.push({ path: file.rel, reason });
        }
        for (const link of window.links) {
          const firstDamaged = damagedReasons.get(link.first.rel);
          if (firstDamaged !== undefined) {
            damaged.push({ path: link.rel, reason: firstDamaged });
            continue;
          }
          if (!sameInode(link.abs, link.first.abs)) {
            fs.rmSync(link.abs, { force: true });
            fs.linkSync(link.first.abs, link.abs);
          }
          result.hardLinks += 1;
          countFile(link.node);
        }
        for (const dir of window.dirsDone) restoreEntryMetadata(at(dir), dir.node, asRoot);
      },
    },
    options.windowFiles,
  );

  // The first file of each hard-link group restored here gets the content; the others link to it.
  const firstOfGroup = new Map<string, { abs: PathBytes; rel: string }>();
  const inPlace = inPlaceChecker(reader);
  const addFile = async (e: WalkedEntry) => {
    const abs = at(e);
    if (e.node.nlink !== undefined && e.node.inode !== undefined) {
      const group = `${e.node.dev}:${e.node.inode}`;
      const first = firstOfGroup.get(group);
      if (first !== undefined) return windows.addLink({ abs, rel: e.rel, first, node: e.node });
      firstOfGroup.set(group, { abs, rel: e.rel });
    }
    // Nothing was in a directory this restore made: no file there to keep.
    if (!e.parent?.madeHere && (await alreadyRestored(inPlace, abs, e.node))) {
      result.filesSkipped += 1;
      countFile(e.node);
    } else {
      await windows.addFile({ abs, rel: e.rel, node: e.node, finish: fileFinish(e.node, asRoot) });
    }
  };

  // Directories, symlinks and special files are created as the walk meets them, each checked to
  // stay inside the target; files land only in directories created (and so checked) here, opened
  // without following links.
  const addOther = async (e: WalkedEntry) => {
    const abs = at(e);
    await assertInside(realTarget, parentOf(abs), e.rel);
    await fsp.rm(abs, { force: true });
    if (e.node.type === 'symlink') {
      await fsp.symlink(nodeTargetBytes(e.node), abs);
      restoreEntryMetadata(abs, e.node, asRoot);
      result.symlinks += 1;
      return;
    }
    const notRecreated = makeSpecialEntry(abs, e.node, asRoot);
    if (notRecreated) return addWarning(result.warnings, `not restored: ${printableBounded(e.rel)}: ${notRecreated}`);
    restoreEntryMetadata(abs, e.node, asRoot);
    result.specialFiles += 1;
  };

  try {
    await walkRestoreTree(readTree, filter, root.tree, {
      enterDir: async (dir: WalkedDir) => {
        options.signal?.throwIfAborted();
        const abs = at(dir);
        await assertInside(realTarget, parentOf(abs), dir.rel);
        dir.madeHere = await makeDirectory(abs, dir.rel);
        result.dirs += 1;
      },
      entry: (e) => (e.node.type === 'file' ? addFile(e) : addOther(e)),
      leaveDir: (dir) => windows.dirDone(dir),
      damagedTree: (rel, reason) => damaged.push({ path: rel, reason }),
    });
  } catch (err) {
    await windows.settle();
    throw err;
  }
  await windows.finish();
  options.onProgress?.({ ...progress });

  const indexNote = damagedIndexFiles.length > 0 ? ` (${damagedIndexFiles.length} index files are damaged: try \`meridian repair index\`)` : '';
  result.filesDamaged = damaged.length;
  let chars = 0;
  for (const d of damaged.slice(0, MAX_DAMAGED_LISTED)) {
    const entry = d.reason.includes('not in the index') ? { ...d, reason: d.reason + indexNote } : d;
    chars += entry.path.length + entry.reason.length;
    if (chars > MAX_DAMAGED_LISTED_CHARS) break;
    result.damaged.push(entry);
  }
  return result;
}

async function assertInside(realTarget: string, dir: PathBytes, rel: string): Promise<void> {
  const real = (await fsp.realpath(dir, { encoding: 'buffer' })).toString('latin1');
  const inside = Buffer.from(realTarget).toString('latin1');
  if (real !== inside && !real.startsWith(inside + path.sep)) throw unsafe(rel, 'resolves outside the target through a symlink');
}

/** The directory a path is in, as bytes when the path is. */
function parentOf(abs: PathBytes): PathBytes {
  return typeof abs === 'string' ? path.dirname(abs) : abs.subarray(0, Math.max(1, abs.lastIndexOf(0x2f)));
}

/** Creates the directory, or checks the one there is one; true when it made it (so it is empty). */
async function makeDirectory(abs: PathBytes, rel: string): Promise<boolean> {
  try {
    await fsp.mkdir(abs, { mode: 0o700 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await fsp.lstat(abs);
    if (!st.isDirectory()) throw unsafe(rel, 'exists in the target as something other than a directory');
    return false;
  }
}

/**
 * True when the file is already complete (a resumed restore): same size and mtime, and its
 * content has the snapshot's blob ids (size and mtime alone do not prove a file this restore did
 * not write). Else clears the way for a fresh file.
 * One synchronous lstat per file (ten times cheaper than through the promise API); only a file
 * that matches it is read, asynchronously, so a target full of large files never stalls heartbeats.
 */
async function alreadyRestored(sameContent: ContentCheck, abs: PathBytes, node: TreeNode): Promise<boolean> {
  const st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
  if (!st) return false;
  if (st.isFile() && Number(st.size) === (node.size ?? 0) && st.mtimeNs === BigInt(node.mtimeNs) && (await sameContent(abs, node.content ?? []))) return true;
  fs.rmSync(abs, { force: true });
  return false;
}

type ContentCheck = (abs: PathBytes, expected: string[]) => Promise<boolean>;

/**
 * Reads the file blob by blob (each blob's length is in the index) and checks each piece's id,
 * as restic does; stops at the first piece that differs.
 */
function inPlaceChecker(reader: BlobReader): ContentCheck {
  let buffer = Buffer.alloc(0);
  return async (abs, expected) => {
    if (expected.length === 0) return true;
    const file = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW).catch(() => undefined);
    if (!file) return false;
    try {
      let offset = 0;
      for (const id of expected) {
        const length = reader.index.get(id)?.rawLength;
        if (length === undefined) return false;
        if (buffer.length < length) buffer = Buffer.allocUnsafe(length);
        const piece = buffer.subarray(0, length);
        for (let got = 0; got < length; ) {
          const { bytesRead } = await file.read(piece, got, length - got, offset + got);
          if (bytesRead === 0) return false;
          got += bytesRead;
        }
        if (blobId(reader.repo.keys, piece) !== id) return false;
        offset += length;
      }
      return true;
    } finally {
      await file.close();
    }
  };
}

function sameInode(a: PathBytes, b: PathBytes): boolean {
  const sa = fs.lstatSync(a, { bigint: true, throwIfNoEntry: false });
  const sb = fs.lstatSync(b, { bigint: true });
  return sa !== undefined && sa.ino === sb.ino && sa.dev === sb.dev;
}
