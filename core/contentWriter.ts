// Writes restored file contents pack by pack: each pack is read once (one ranged read over the
// blobs needed from it, in steps of bounded size); the decoder pool's threads open, decompress
// and check each blob once and write it at its offsets in every file that holds it. A file gets
// its mode and mtime as soon as its last blob has landed.

import fs, { promises as fsp } from 'node:fs';
import { BlobReader } from './blobReader.js';
import { DecoderPool } from './decoderPool.js';
import { RepositoryError } from './errors.js';
import { BlobLocation } from './masterIndex.js';
import { TreeNode } from './tree.js';

export interface FileToWrite {
  abs: string;
  node: TreeNode;
}

export interface ContentWriterOptions {
  decoder: DecoderPool;
  /** Packs read and decoded at once. */
  packsInFlight?: number;
  signal?: AbortSignal;
  onBytes?: (bytes: number) => void;
  onFileDone?: (file: FileToWrite) => void;
}

interface Target {
  file: number;
  offset: number;
}

interface NeededBlob {
  id: string;
  loc: BlobLocation;
  targets: Target[];
}

const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

export async function writeFileContents(reader: BlobReader, files: FileToWrite[], options: ContentWriterOptions): Promise<void> {
  const steps = planPacks(reader, files);
  const remaining = files.map((f) => f.node.content?.length ?? 0);

  const finish = async (i: number) => {
    const file = files[i]!;
    if (!file.node.content?.length) await (await fsp.open(file.abs, CREATE, 0o600)).close();
    await fsp.chmod(file.abs, file.node.mode);
    const seconds = Number(BigInt(file.node.mtimeNs)) / 1e9;
    await fsp.utimes(file.abs, seconds, seconds);
    options.onFileDone?.(file);
  };
  for (let i = 0; i < files.length; i++) if (remaining[i] === 0) await finish(i);

  const writeStep = async (pack: string, blobs: NeededBlob[]) => {
    options.signal?.throwIfAborted();
    const start = blobs[0]!.loc.offset;
    const last = blobs[blobs.length - 1]!.loc;
    const span = await reader.repo.storage.get({ type: 'data', name: pack }, { offset: start, length: last.offset + last.length - start });
    await options.decoder.write(
      span,
      blobs.map((b) => ({
        id: b.id,
        codec: b.loc.codec,
        rawLength: b.loc.rawLength,
        spanOffset: b.loc.offset - start,
        length: b.loc.length,
        targets: b.targets.map((t) => ({ path: files[t.file]!.abs, offset: t.offset })),
      })),
    );
    const done: Promise<void>[] = [];
    for (const blob of blobs) {
      for (const target of blob.targets) {
        options.onBytes?.(blob.loc.rawLength);
        remaining[target.file]! -= 1;
        if (remaining[target.file] === 0) done.push(finish(target.file));
      }
    }
    await Promise.all(done);
  };

  const queue = [...steps];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await writeStep(next[0], next[1]);
  };
  await Promise.all(Array.from({ length: options.packsInFlight ?? 3 }, lane));
}

/** Raw bytes decoded per step: bounds memory however well a pack's blobs compress. */
const STEP_RAW_BYTES = 16 * 1024 * 1024;

/**
 * Groups every blob the files need by pack, in pack order, with the offsets where each lands,
 * and splits each pack's blobs into steps of at most STEP_RAW_BYTES of plain data.
 */
function planPacks(reader: BlobReader, files: FileToWrite[]): [string, NeededBlob[]][] {
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
  const steps: [string, NeededBlob[]][] = [];
  for (const [pack, blobs] of byPack) {
    let step: NeededBlob[] = [];
    let raw = 0;
    for (const blob of [...blobs.values()].sort((a, b) => a.loc.offset - b.loc.offset)) {
      if (step.length > 0 && raw + blob.loc.rawLength > STEP_RAW_BYTES) {
        steps.push([pack, step]);
        step = [];
        raw = 0;
      }
      step.push(blob);
      raw += blob.loc.rawLength;
    }
    steps.push([pack, step]);
  }
  return steps;
}
