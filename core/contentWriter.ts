// Writes restored file contents pack by pack: each pack is read once (one ranged read over the
// blobs needed from it, in steps of bounded size); the decoder pool's threads open, decompress
// and check each blob once and write it at its offsets in every file that holds it. A file gets
// its mode and mtime as soon as its last blob has landed: from the decoder thread when one step
// completes it (most files), else here.

import fs, { promises as fsp } from 'node:fs';
import { BlobReader } from './blobReader.js';
import { DecoderPool } from './decoderPool.js';
import { BlobTarget } from './decoderProtocol.js';
import { RepositoryError } from './errors.js';
import { BlobLocation } from './masterIndex.js';
import { mtimeSeconds } from './mtime.js';
import { TreeNode } from './tree.js';

export interface FileToWrite {
  abs: string;
  node: TreeNode;
}

export interface ContentWriterOptions {
  decoder: DecoderPool;
  /**
   * Spans read and decoded at once; defaults to one more than the decoder's parallelism, so a
   * thread finds its next span read when it finishes one (~4% less wall time than one span per
   * thread; the spare span costs no measurable peak now that spent spans are freed at once).
   */
  packsInFlight?: number;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  onFileDone?: (file: FileToWrite) => void;
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

const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

export async function writeFileContents(reader: BlobReader, files: FileToWrite[], options: ContentWriterOptions): Promise<void> {
  const steps = planPacks(reader, files);
  // Steps not yet done that write into each file: a step dispatched while it is the only one
  // left for a file finishes that file in the decoder thread, through the open descriptor.
  const stepsLeft = files.map(() => 0);
  for (const step of steps) for (const file of step.files) stepsLeft[file]! += 1;

  const finish = async (i: number) => {
    const file = files[i]!;
    if (!file.node.content?.length) await (await fsp.open(file.abs, CREATE, 0o600)).close();
    await fsp.chmod(file.abs, file.node.mode);
    const seconds = mtimeSeconds(file.node.mtimeNs);
    await fsp.utimes(file.abs, seconds, seconds);
    options.onFileDone?.(file);
  };
  for (let i = 0; i < files.length; i++) if (stepsLeft[i] === 0) await finish(i);

  const writeStep = async (step: Step) => {
    options.signal?.throwIfAborted();
    const start = step.blobs[0]!.loc.offset;
    const last = step.blobs[step.blobs.length - 1]!.loc;
    const span = await reader.repo.storage.get({ type: 'data', name: step.pack }, { offset: start, length: last.offset + last.length - start });
    const finishedHere = step.files.map((file) => stepsLeft[file] === 1);
    await options.decoder.write(span, {
      files: step.files.map((file, i) => {
        const { abs, node } = files[file]!;
        return finishedHere[i] ? { path: abs, finish: { mode: node.mode, mtimeNs: node.mtimeNs } } : { path: abs };
      }),
      blobs: step.blobs.map((b) => ({
        id: b.id,
        codec: b.loc.codec,
        rawLength: b.loc.rawLength,
        spanOffset: b.loc.offset - start,
        length: b.loc.length,
        targets: b.targets,
      })),
    });
    for (const blob of step.blobs) options.onBytes?.(blob.loc.rawLength * blob.targets.length);
    const done: Promise<void>[] = [];
    step.files.forEach((file, i) => {
      if (--stepsLeft[file]! > 0) return;
      if (finishedHere[i]) options.onFileDone?.(files[file]!);
      else done.push(finish(file));
    });
    await Promise.all(done);
  };

  const queue = [...steps];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await writeStep(next);
  };
  await Promise.all(Array.from({ length: options.packsInFlight ?? options.decoder.parallelism + 1 }, lane));
}

/** Raw bytes decoded per step: bounds memory however well a pack's blobs compress. */
const STEP_RAW_BYTES = 16 * 1024 * 1024;

/**
 * Groups every blob the files need by pack, in pack order, with the offsets where each lands,
 * and splits each pack's blobs into steps of at most STEP_RAW_BYTES of plain data. A step's blob
 * targets name files by their index in the step's own file list.
 */
function planPacks(reader: BlobReader, files: FileToWrite[]): Step[] {
  const byPack = new Map<string, Map<string, NeededBlob>>();
  files.forEach((file, i) => {
    let offset = 0;
    for (const id of file.node.content ?? []) {
      const loc = reader.index.get(id);
      if (!loc) throw new RepositoryError('integrity', `[repository] ${file.abs} needs blob ${id.slice(0, 12)}, which is not in the index`);
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
