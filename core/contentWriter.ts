// Writes restored file contents pack by pack: each pack is read once (one ranged read over the
// blobs needed from it), each blob opened, decompressed and checked once, then written at its
// offsets in every file that holds it. Files open when their first blob arrives and close, with
// mode and mtime set, as soon as their last byte lands.

import fs, { promises as fsp } from 'node:fs';
import { decodeBlob } from './blobCodec.js';
import { BlobReader } from './blobReader.js';
import { RepositoryError } from './errors.js';
import { BlobLocation } from './masterIndex.js';
import { TreeNode } from './tree.js';

export interface FileToWrite {
  abs: string;
  node: TreeNode;
}

export interface ContentWriterOptions {
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

export async function writeFileContents(reader: BlobReader, files: FileToWrite[], options: ContentWriterOptions = {}): Promise<void> {
  const packs = planPacks(reader, files);
  const remaining = files.map((f) => f.node.content?.length ?? 0);
  const handles = new Map<number, Promise<fsp.FileHandle>>();

  const finish = async (i: number, handle?: fsp.FileHandle) => {
    const file = files[i]!;
    if (handle) await handle.close();
    else await (await fsp.open(file.abs, CREATE, 0o600)).close();
    await fsp.chmod(file.abs, file.node.mode);
    const seconds = Number(BigInt(file.node.mtimeNs)) / 1e9;
    await fsp.utimes(file.abs, seconds, seconds);
    options.onFileDone?.(file);
  };
  for (let i = 0; i < files.length; i++) if (remaining[i] === 0) await finish(i);

  const writePack = async (pack: string, blobs: NeededBlob[]) => {
    options.signal?.throwIfAborted();
    const start = blobs[0]!.loc.offset;
    const last = blobs[blobs.length - 1]!.loc;
    const span = await reader.repo.storage.get({ type: 'data', name: pack }, { offset: start, length: last.offset + last.length - start });
    const writes: Promise<void>[] = [];
    for (const blob of blobs) {
      const stored = span.subarray(blob.loc.offset - start, blob.loc.offset - start + blob.loc.length);
      const plain = decodeBlob(reader.repo.keys, { id: blob.id, codec: blob.loc.codec, rawLength: blob.loc.rawLength }, stored);
      for (const target of blob.targets) {
        writes.push(
          (async () => {
            let opening = handles.get(target.file);
            if (!opening) handles.set(target.file, (opening = fsp.open(files[target.file]!.abs, CREATE, 0o600)));
            const handle = await opening;
            await handle.write(plain, 0, plain.length, target.offset);
            options.onBytes?.(plain.length);
            remaining[target.file]! -= 1;
            if (remaining[target.file] === 0) {
              handles.delete(target.file);
              await finish(target.file, handle);
            }
          })(),
        );
      }
    }
    await Promise.all(writes);
  };

  const queue = [...packs];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await writePack(next[0], next[1]);
  };
  await Promise.all(Array.from({ length: options.packsInFlight ?? 2 }, worker));
}

/** Groups every blob the files need by pack, in pack order, with the offsets where each lands. */
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
  return [...byPack].map(([pack, blobs]) => [pack, [...blobs.values()].sort((a, b) => a.loc.offset - b.loc.offset)]);
}
