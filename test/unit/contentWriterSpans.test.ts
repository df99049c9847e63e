// The spans a restore has read and not yet decoded are bounded across its windows: two windows
// writing at once share one gate of the decoder's parallelism + 1, so a restore holds at most that
// many spans (up to 16 MiB each) however many windows overlap.

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { backup } from '../../core/archiver';
import { BlobReader } from '../../core/blobReader';
import { FileToWrite, spansGate, writeFileContents } from '../../core/contentWriter';
import { createDecoderPool, DecoderPool } from '../../core/decoderPool';
import { MasterIndex } from '../../core/masterIndex';
import { Repository } from '../../core/repository';
import { findSnapshot } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import type { ByteRange, Handle } from '../../storage/storage';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

/** A local storage whose pack reads take a while and count as spans until the decoder is done with them. */
class SlowPackReads extends LocalStorage {
  inFlight = 0;
  most = 0;

  override async get(h: Handle, range?: ByteRange): Promise<Uint8Array> {
    if (h.type !== 'data' || !range) return super.get(h, range);
    this.inFlight += 1;
    this.most = Math.max(this.most, this.inFlight);
    await sleep(20);
    return super.get(h, range);
  }
}

/** The decoder, telling the storage when a span is decoded. */
function countingDecoder(inner: DecoderPool, storage: SlowPackReads): DecoderPool {
  return {
    parallelism: inner.parallelism,
    write: async (span, step) => {
      try {
        await inner.write(span, step);
      } finally {
        storage.inFlight -= 1;
      }
    },
    close: () => inner.close(),
  };
}

/** Two halves of a snapshot of 24 files, each in a pack of its own, as two windows' files. */
async function twoWindows(): Promise<{ storage: SlowPackReads; reader: BlobReader; halves: FileToWrite[][] }> {
  const dir = tempDir('spans-repo');
  const repo = await Repository.init(new LocalStorage(dir), 'spans', { packSizeMiB: 1 });
  const source = tempDir('spans-src');
  for (let i = 0; i < 24; i++) fs.writeFileSync(path.join(source, `f${i}.bin`), pseudoRandomBytes(1_200_000, i + 1));
  const { snapshotId } = await backup(repo, { source, type: 'full', threads: 0 });
  const storage = new SlowPackReads(dir);
  const slow = await Repository.open(storage, 'spans');
  const reader = new BlobReader(slow, await MasterIndex.load(slow));
  const root = await reader.tree((await findSnapshot(slow, snapshotId)).tree);
  const target = tempDir('spans-dst');
  storage.inFlight = storage.most = 0; // the trees read above are no spans
  const files = root.nodes.map((node) => ({ abs: path.join(target, node.name), rel: node.name, node, finish: { mode: 0o644, mtimeNs: '0', size: node.size ?? 0 } }));
  return { storage, reader, halves: [files.slice(0, 12), files.slice(12)] };
}

test('two windows writing at once hold at most parallelism + 1 spans between them', async () => {
  const { storage, reader, halves } = await twoWindows();
  const decoder = countingDecoder(createDecoderPool(reader.repo.keys, 0), storage);
  const spans = spansGate(decoder);
  const damaged = await Promise.all(halves.map((files) => writeFileContents(reader, files, { decoder, spans })));
  expect(damaged.flat()).toEqual([]);
  expect(storage.most).toBe(decoder.parallelism + 1);
  for (const file of halves.flat()) expect(fs.statSync(file.abs).size).toBe(file.node.size);
});
