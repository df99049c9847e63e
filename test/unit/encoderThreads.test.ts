// Encoder threads on real files: blobs pass through each thread's ring of shared memory (small
// chunks make it wrap many times, one blob ends exactly at its end, and blobs as large as the ring
// follow smaller ones), and the threads serve one backup after another, each with its own
// repository keys, returning to the idle set only when they finished cleanly.

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { backup } from '../../core/archiver';
import { SEAL_OVERHEAD } from '../../core/crypto';
import { ringBytes } from '../../core/encoderProtocol';
import { borrowEncoderThread, returnEncoderThread } from '../../core/encoderThreads';
import { MasterIndex } from '../../core/masterIndex';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { LocalStorage } from '../../storage/local';
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

test('a blob ending exactly at the end of the ring is followed by blobs from its start', async () => {
  const repo = await Repository.init(new LocalStorage(tempDir('repo')), 'passphrase', tinyChunks);
  const source = tempDir('src');
  // Incompressible files under the minimum chunk are one blob each, of their size plus the seal;
  // these fill the ring to its last byte (one thread takes them in name order), more follow.
  const ring = ringBytes(tinyChunks.chunker);
  const sizes: number[] = [];
  for (let filled = 0; filled < ring; filled += sizes.at(-1)! + SEAL_OVERHEAD) sizes.push(Math.min(4000, ring - filled - SEAL_OVERHEAD));
  expect(sizes.reduce((sum, size) => sum + size + SEAL_OVERHEAD, 0)).toBe(ring);
  const fillers = sizes.length;
  sizes.push(...new Array<number>(100).fill(3000));
  const contents = sizes.map((size) => randomBytes(size));
  contents.forEach((content, i) => fs.writeFileSync(path.join(source, `f${String(i).padStart(4, '0')}`), content));
  const result = await backup(repo, { source, type: 'full', threads: 1 });
  expect(result.stats.filesNew).toBe(sizes.length);
  // The blobs were stored at the lengths assumed above, so the edge was really reached.
  const index = await MasterIndex.load(repo);
  const stored = contents.slice(0, fillers).map((content) => index.get(repo.blobId(content))?.length);
  expect(stored).toEqual(sizes.slice(0, fillers).map((size) => size + SEAL_OVERHEAD));
  const target = tempDir('dst');
  await restore(repo, result.snapshotId, { target, threads: 0 });
  expectSameTree(source, target);
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
