// Encoder threads on real files: blobs pass through each thread's ring of shared memory (small
// chunks make it wrap many times, the blob after one ending exactly at its end goes to its start
// while the ring is still in use, and blobs as large as the ring follow smaller ones), and the
// threads serve one backup after another, each with its own repository keys, returning to the
// idle set only when they finished cleanly, and an idle thread holds no backup's index.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { backup } from '../../core/archiver';
import { decodeBlob } from '../../core/blobCodec';
import { BlobIdTable } from '../../core/blobIdTable';
import { SEAL_OVERHEAD } from '../../core/crypto';
import { RingBlob, ringBytes, ThreadReply, ThreadRequest } from '../../core/encoderProtocol';
import { borrowEncoderThread, returnEncoderThread } from '../../core/encoderThreads';
import { EncodedFile } from '../../core/fileEncoder';
import { MasterIndex } from '../../core/masterIndex';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { LocalStorage } from '../../storage/local';
import { eventually } from '../helpers/polling';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

// A 64 KiB maximum chunk gives rings of about 64 KiB: megabytes of data wrap them dozens of times.
const tinyChunks = { chunker: { min: 4096, avg: 16 * 1024, max: 64 * 1024 }, packSizeMiB: 1 };

async function roundTrip(seed: number): Promise<void> {
  const repo = await Repository.init(new LocalStorage(tempDir('repo')), `passphrase ${seed}`, tinyChunks);
  const source = tempDir('src');
  writeTree(source, { seed, smallFiles: 200, largeFiles: [3_000_000, 1_500_000] });
  const result = await backup(repo, { source, type: 'full', threads: 2 });
  expect(result.stats.filesNew).toBe(result.stats.files);
  const target = tempDir('dst');
  await restore(await Repository.open(repo.storage, `passphrase ${seed}`), result.snapshotId, { target, threads: 0 });
  expectSameTree(source, target);
}

test('threaded backups through wrapping rings restore exactly, twice in a row with different keys', async () => {
  await roundTrip(1);
  await roundTrip(2);
});

test('a blob ending exactly at the end of the ring is followed by one at its start while the ring is still in use', async () => {
  const repo = await Repository.init(new LocalStorage(tempDir('repo')), 'passphrase', tinyChunks);
  const source = tempDir('src');
  // Incompressible files under the minimum chunk are one blob each, of their size plus the seal;
  // the fillers take the ring to its last byte (the thread takes them in the order given).
  const ring = ringBytes(tinyChunks.chunker);
  const sizes: number[] = [];
  for (let filled = 0; filled < ring; filled += sizes.at(-1)! + SEAL_OVERHEAD) sizes.push(Math.min(4000, ring - filled - SEAL_OVERHEAD));
  const fillers = sizes.length;
  sizes.push(3000, 3000, 3000);
  const contents = sizes.map((size) => randomBytes(size));
  const paths = contents.map((content, i) => {
    const file = path.join(source, `f${String(i).padStart(4, '0')}`);
    fs.writeFileSync(file, content);
    return file;
  });

  // Driven as the pool drives it, except that ring space comes back only when the test says so.
  const thread = borrowEncoderThread(ring);
  const placed: RingBlob[] = [];
  let givingBack = false;
  const giveBack = (blob: RingBlob) => {
    Atomics.sub(thread.used, 0, blob.charge);
    Atomics.notify(thread.used, 0);
  };
  const done = new Promise<EncodedFile[]>((resolve) => thread.worker.on('message', (reply: ThreadReply) => {
    if (reply.kind === 'blobs') {
      placed.push(...reply.blobs);
      if (givingBack) reply.blobs.forEach(giveBack);
    }
    if (reply.kind === 'done') resolve(reply.files);
  }));
  const settings = { keys: repo.keys, compression: repo.config.compression, compressionLevel: repo.config.compressionLevel };
  thread.worker.postMessage({ kind: 'session', settings, chunker: repo.config.chunker } satisfies ThreadRequest);
  thread.worker.postMessage({ kind: 'batch', batch: 0, paths, known: new BlobIdTable().shared } satisfies ThreadRequest);

  await eventually('the fillers', () => (placed.length >= fillers ? true : undefined), 20_000, 10);
  expect(placed.length).toBe(fillers); // the ring is full: the thread waits
  expect(placed.map((blob) => blob.length)).toEqual(sizes.slice(0, fillers).map((size) => size + SEAL_OVERHEAD));
  expect(placed.at(-1)!.offset + placed.at(-1)!.length).toBe(ring);
  expect(Atomics.load(thread.used, 0)).toBe(ring);

  // Only the first filler comes back: the ring is still in use, and the next blob starts at byte 0.
  giveBack(placed[0]!);
  await eventually('the blob after the edge', () => (placed.length > fillers ? true : undefined), 20_000, 10);
  const afterEdge = placed[fillers]!;
  expect(afterEdge).toMatchObject({ offset: 0, charge: afterEdge.length });
  // It overwrote only the given-back filler: the held ones, and it, decode to their files.
  const bytesOf = (blob: RingBlob) => new Uint8Array(thread.ring, blob.offset, blob.length);
  for (let i = 1; i <= fillers; i++) expect(Buffer.from(decodeBlob(repo.keys, placed[i]!, bytesOf(placed[i]!)))).toEqual(contents[i]);

  givingBack = true;
  placed.slice(1).forEach(giveBack);
  expect((await done).map((file) => file.bytesRead)).toEqual(sizes);
  await returnEncoderThread(thread, true);
});

test('a blob as large as the ring follows smaller ones once the ring has emptied', async () => {
  const repo = await Repository.init(new LocalStorage(tempDir('repo')), 'passphrase', { ...tinyChunks, compression: 'none' });
  const source = tempDir('src');
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(source, `f${String(i).padStart(2, '0')}`), randomBytes(3000));
  // A run of one byte value has no cut point (or one at every byte): a blob of the largest chunk,
  // stored uncompressed, is exactly the ring's size. Two values, in case one of them cuts.
  const ring = ringBytes(tinyChunks.chunker);
  for (const value of [0x61, 0x62]) fs.writeFileSync(path.join(source, `g${value}`), Buffer.alloc(tinyChunks.chunker.max, value));
  const result = await backup(repo, { source, type: 'full', threads: 1 });
  expect(result.stats.filesNew).toBe(22);
  const lengths = [...(await MasterIndex.load(repo)).entries()].map(([, location]) => location.length);
  expect(lengths).toContain(ring);
  const target = tempDir('dst');
  await restore(repo, result.snapshotId, { target, threads: 0 });
  expectSameTree(source, target);
});

test('a thread given back cleanly is lent again; one given back otherwise is ended', async () => {
  const ringSize = 1024 * 1024;
  const first = borrowEncoderThread(ringSize);
  await returnEncoderThread(first, true);
  const again = borrowEncoderThread(ringSize);
  expect(again.worker.threadId).toBe(first.worker.threadId);
  const exited = new Promise<number>((resolve) => again.worker.once('exit', resolve));
  await returnEncoderThread(again, false);
  await exited;
  const fresh = borrowEncoderThread(ringSize);
  expect(fresh.worker.threadId).not.toBe(first.worker.threadId);
  await returnEncoderThread(fresh, false);
});

// In a process of its own with --expose-gc, as the `meridian` executable runs: the thread has read
// a large index's ids in place, and once given back, that shared memory must be freed (before, an
// idle thread held it until the next backup of the worker had loaded its own index).
test('a thread given back cleanly lets go of the index it was lent', () => {
  const dist = path.join(__dirname, '..', '..', 'dist');
  const script = `
    const { randomBytes } = require('node:crypto');
    const { setTimeout: sleep } = require('node:timers/promises');
    const { BlobIdTable } = require('${dist}/core/blobIdTable.js');
    const { ringBytes } = require('${dist}/core/encoderProtocol.js');
    const { borrowEncoderThread, returnEncoderThread } = require('${dist}/core/encoderThreads.js');
    const { Repository } = require('${dist}/core/repository.js');
    const { LocalStorage } = require('${dist}/storage/local.js');
    (async () => {
      const repo = await Repository.init(new LocalStorage(process.argv[1]), 'passphrase');
      const thread = borrowEncoderThread(ringBytes(repo.config.chunker));
      let index = new BlobIdTable();
      for (let i = 0; i < 200000; i++) index.insert(randomBytes(32).toString('hex'));
      const done = new Promise((resolve) => thread.worker.on('message', (reply) => reply.kind === 'done' && resolve()));
      const settings = { keys: repo.keys, compression: repo.config.compression, compressionLevel: repo.config.compressionLevel };
      thread.worker.postMessage({ kind: 'session', settings, chunker: repo.config.chunker });
      thread.worker.postMessage({ kind: 'batch', batch: 0, paths: [], known: index.shared });
      await done;
      gc(); // the buffers the table outgrew while it was filled
      const held = process.memoryUsage().arrayBuffers;
      index = undefined;
      await returnEncoderThread(thread, true);
      let freed = 0;
      for (let i = 0; i < 50 && freed < 8 * 2 ** 20; i++) {
        gc();
        await sleep(100);
        freed = held - process.memoryUsage().arrayBuffers;
      }
      console.log(JSON.stringify({ freedMiB: freed / 2 ** 20 }));
    })();
  `;
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', script, tempDir('repo')], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  // 200,000 ids: 8 MiB of ids (262,144 places of 32 bytes) and 2 MiB of slots.
  expect(JSON.parse(run.stdout).freedMiB).toBeGreaterThanOrEqual(8);
});
