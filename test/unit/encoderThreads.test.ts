// Encoder threads on real files: blobs pass through each thread's ring of shared memory (small
// chunks make it wrap many times), and the threads serve one backup after another, each with its
// own repository keys, returning to the idle set only when they finished cleanly.

import { backup } from '../../core/archiver';
import { borrowEncoderThread, returnEncoderThread } from '../../core/encoderThreads';
import { Repository } from '../../core/repository';
import { restore } from '../../core/restorer';
import { LocalStorage } from '../../storage/local';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

// A 64 KiB maximum chunk gives rings of about 128 KiB: megabytes of data wrap them dozens of times.
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

test('a thread given back cleanly is lent again; one given back otherwise is ended', async () => {
  const ringBytes = 1024 * 1024;
  const first = borrowEncoderThread(ringBytes);
  await returnEncoderThread(first, true);
  const again = borrowEncoderThread(ringBytes);
  expect(again.worker.threadId).toBe(first.worker.threadId);
  const exited = new Promise<number>((resolve) => again.worker.once('exit', resolve));
  await returnEncoderThread(again, false);
  await exited;
  const fresh = borrowEncoderThread(ringBytes);
  expect(fresh.worker.threadId).not.toBe(first.worker.threadId);
  await returnEncoderThread(fresh, false);
});
