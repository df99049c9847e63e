// Writes restored file contents pack by pack: each pack is read once (one ranged read over the
// blobs needed from it, in steps of bounded size); the decoder pool's threads open, decompress
// and check each blob once and write it at its offsets in every file that holds it. A file gets
// its owner, attributes, mode, size and mtime as soon as its last blob has landed: from the
// decoder thread when one step completes it (most files), else here. Damage does not stop the
// restore: a span that cannot be read or decoded is retried blob by blob, the files that need a
// lost blob are reported as damaged and removed at the end (never left looking complete), and
// every other file is written.

import fs, { promises as fsp } from 'node:fs';
import { BlobReader } from './blobReader.js';
import { DecoderPool } from './decoderPool.js';
import { BlobTarget, creationMode, FileFinish, finishFile, OPEN_FLAGS } from './decoderProtocol.js';
import { isDamage } from './damage.js';
import { PathBytes } from './fileNames.js';
import { BlobLocation } from './masterIndex.js';
import { Slots } from './slots.js';
import { TreeNode } from './tree.js';

export interface FileToWrite {
  abs: PathBytes;
  /** The path in the snapshot, printable, for reports. */
  rel: string;
  node: TreeNode;
  finish: FileFinish;
}

export interface ContentWriterOptions {
  decoder: DecoderPool;
  /**
   * The spans read and not yet decoded, shared by every window of one restore (two write at once);
   * by default this call's own. Give it one more slot than the decoder's parallelism (spansGate),
   * so a thread finds its next span read when it finishes one (~4% less wall time than one span
   * per thread); more only wait, read, for an idle thread.
   */
  spans?: Slots;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  onFileDone?: (file: FileToWrite) => void;
}

/** A file that could not be restored, and why. */
export interface DamagedFile {
  file: FileToWrite;
  reason: string;
}

interface NeededBlob {
  id: string;
  loc: BlobLocation;
  /** While planning `file` indexes all files; once in a step, the step's own file list. */
  targets: BlobTarget[];
}

/** One ranged read of a pack: its blobs, and the files (indexes into all files) they go to. */
interface Step {
  pack: string;
  files: number[];
  blobs: NeededBlob[];
}

/** Writes every file it can; returns the files left out because their data is damaged or lost. */
export async function writeFileContents(reader: BlobReader, files: FileToWrite[], options: ContentWriterOptions): Promise<DamagedFile[]> {
  const damaged = new Map<number, string>();
  const markDamaged = (file: number, reason: string) => {
    if (!damaged.has(file)) damaged.set(file, reason);
  };
  const steps = planPacks(reader, files, markDamaged);
  // Steps not yet done that write into each file: a step dispatched while it is the only one
  // left for a file finishes that file in the decoder thread, through the open descriptor.
  const stepsLeft = files.map(() => 0);
  for (const step of steps) for (const file of step.files) stepsLeft[file]! += 1;

  const finish = (i: number) => {
    const file = files[i]!;
    const fd = fs.openSync(file.abs, OPEN_FLAGS, creationMode(file.finish));
    try {
      finishFile(fd, file.abs, file.finish);
    } finally {
      fs.closeSync(fd);
    }
    options.onFileDone?.(file);
  };
  for (let i = 0; i < files.length; i++) if (stepsLeft[i] === 0 && !damaged.has(i)) finish(i);

  const spans = options.spans ?? spansGate(options.decoder);
  /** Reads the blobs' span of the pack and has the decoder write them (finishing the files flagged), holding a span's slot. */
  const writeBlobs = async (step: Step, blobs: NeededBlob[], finishedHere: boolean[]) => {
    await spans.acquire();
    try {
      const start = blobs[0]!.loc.offset;
      const last = blobs[blobs.length - 1]!.loc;
      const span = await reader.repo.storage.get({ type: 'data', name: step.pack }, { offset: start, length: last.offset + last.length - start });
      await options.decoder.write(span, {
        files: step.files.map((file, i) => {
          const { abs, finish } = files[file]!;
          return finishedHere[i] ? { path: abs, finish } : { path: abs };
        }),
        blobs: blobs.map((b) => ({
          id: b.id,
          codec: b.loc.codec,
          rawLength: b.loc.rawLength,
          spanOffset: b.loc.offset - start,
          length: b.loc.length,
          targets: b.targets,
        })),
      });
    } finally {
      spans.release();
    }
  };

  /** After a damaged span: each blob on its own, so that only the files needing a lost one are damaged. */
  const salvageStep = async (step: Step) => {
    const none = step.files.map(() => false);
    for (const blob of step.blobs) {
      try {
        await writeBlobs(step, [blob], none);
      } catch (err) {
        if (!isDamage(err)) throw err;
        const reason = `blob ${blob.id.slice(0, 12)} in pack ${step.pack.slice(0, 12)} is damaged: ${boundedMessage(err)}`;
        for (const target of blob.targets) markDamaged(step.files[target.file]!, reason);
      }
    }
  };

  const writeStep = async (step: Step) => {
    options.signal?.throwIfAborted();
    let finishedHere = step.files.map((file) => stepsLeft[file] === 1 && !damaged.has(file));
    try {
      await writeBlobs(step, step.blobs, finishedHere);
    } catch (err) {
      if (!isDamage(err)) throw err;
      await salvageStep(step);
      finishedHere = finishedHere.map(() => false);
    }
    for (const blob of step.blobs) options.onBytes?.(blob.loc.rawLength * blob.targets.length);
    step.files.forEach((file, i) => {
      if (--stepsLeft[file]! > 0 || damaged.has(file)) return;
      if (finishedHere[i]) options.onFileDone?.(files[file]!);
      else finish(file);
    });
  };

  const queue = [...steps];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await writeStep(next);
  };
  await Promise.all(Array.from({ length: options.decoder.parallelism + 1 }, lane));
  // Removed only now: a step still running could otherwise create a damaged file again.
  for (const file of damaged.keys()) await fsp.rm(files[file]!.abs, { force: true });
  return [...damaged].map(([file, reason]) => ({ file: files[file]!, reason }));
}

/** The gate for the spans of one restore: one more than the decoder decodes at once. */
export function spansGate(decoder: DecoderPool): Slots {
  return new Slots(decoder.parallelism + 1);
}

function boundedMessage(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/** Raw bytes decoded per step: bounds memory however well a pack's blobs compress. */
const STEP_RAW_BYTES = 16 * 1024 * 1024;

/**
 * Groups every blob the files need by pack, in pack order, with the offsets where each lands,
 * (a file needing a blob the index lacks is marked damaged and left out)
 * and splits each pack's blobs into steps of at most STEP_RAW_BYTES of plain data. A step's blob
 * targets name files by their index in the step's own file list.
 */
function planPacks(reader: BlobReader, files: FileToWrite[], markDamaged: (file: number, reason: string) => void): Step[] {
  const byPack = new Map<string, Map<string, NeededBlob>>();
  files.forEach((file, i) => {
    const missing = file.node.content?.find((id) => !reader.index.has(id));
    if (missing) return markDamaged(i, `blob ${missing.slice(0, 12)} is not in the index`);
    let offset = 0;
    for (const id of file.node.content ?? []) {
      const loc = reader.index.get(id)!;
      let blobs = byPack.get(loc.pack);
      if (!blobs) byPack.set(loc.pack, (blobs = new Map()));
      let needed = blobs.get(id);
      if (!needed) blobs.set(id, (needed = { id, loc, targets: [] }));
      needed.targets.push({ file: i, offset });
      offset += loc.rawLength;
    }
  });
  const steps: Step[] = [];
  for (const [pack, blobs] of byPack) {
    let step = newStep(pack);
    let raw = 0;
    for (const blob of [...blobs.values()].sort((a, b) => a.loc.offset - b.loc.offset)) {
      if (step.blobs.length > 0 && raw + blob.loc.rawLength > STEP_RAW_BYTES) {
        steps.push(step);
        step = newStep(pack);
        raw = 0;
      }
      step.blobs.push(blob);
      raw += blob.loc.rawLength;
    }
    steps.push(step);
  }
  for (const step of steps) localizeTargets(step);
  return steps;
}

const newStep = (pack: string): Step => ({ pack, files: [], blobs: [] });

/** Lists the files a step writes into and renumbers its blob targets by that list. */
function localizeTargets(step: Step): void {
  const local = new Map<number, number>();
  for (const blob of step.blobs) {
    blob.targets = blob.targets.map(({ file, offset }) => {
      let at = local.get(file);
      if (at === undefined) local.set(file, (at = step.files.push(file) - 1));
      return { file: at, offset };
    });
  }
}
