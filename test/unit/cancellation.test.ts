// Cancellation reaches the engine where the work is: a backup stops inside a large file, a deep
// verify between packs, a repair before it writes anything. The activities pass the activity's
// cancellation signal down; these tests abort it from the engine's own progress reports.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { verify } from '../../core/checker';
import { repairIndex, repairSnapshots } from '../../core/repair';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASS = 'cancellation passphrase';
const small = { chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 }, packSizeMiB: 1 };
const BIG = 48 * 1024 * 1024;

async function repository(): Promise<{ repo: Repository; dir: string }> {
  const dir = tempDir('cancel-repo');
  return { repo: await Repository.init(new LocalStorage(dir), PASS, small), dir };
}

/** A repository holding one snapshot of a small tree spread over several packs. */
async function filledRepository(): Promise<{ repo: Repository; dir: string }> {
  const made = await repository();
  const source = tempDir('cancel-src');
  writeTree(source, { smallFiles: 50, largeFiles: [3_000_000, 2_000_000] });
  await backup(made.repo, { source, type: 'full', threads: 0 });
  return made;
}

const listNames = (dir: string, sub: string) => fs.readdirSync(path.join(dir, sub)).sort();

test.each([0, 2])('a backup canceled inside one large file stops there and saves no snapshot (%i encoder threads)', async (threads) => {
  const { repo } = await repository();
  const source = tempDir('cancel-big');
  fs.writeFileSync(path.join(source, 'raster.tif'), pseudoRandomBytes(BIG, 7));
  const controller = new AbortController();
  let readWhenAborted = 0;
  const run = backup(repo, {
    source,
    type: 'full',
    threads,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.bytesStored > 0 && !controller.signal.aborted) {
        readWhenAborted = p.bytesRead;
        controller.abort(new Error('canceled by the test'));
      }
    },
  });
  await expect(run).rejects.toThrow('canceled by the test');
  expect(readWhenAborted).toBeLessThan(BIG);
  expect(await listSnapshots(repo)).toHaveLength(0);
});

/** Bytes this process (all its threads) has read so far, from /proc/self/io. */
function bytesReadByProcess(): number {
  return Number(/^rchar: (\d+)$/m.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);
}

test('a backup canceled while rereading a large file whose chunks are all known stops inside it', async () => {
  const { repo } = await repository();
  const source = tempDir('cancel-sparse');
  // 4 GiB of zeros in a sparse file: after the first chunk every chunk is known, so no blob
  // reaches the sink; only the pool's own cancellation can stop the threads inside the file.
  const size = 4 * 1024 ** 3;
  const file = path.join(source, 'zeros.bin');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, size);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('canceled while rereading')), 300);
  const readBefore = bytesReadByProcess();
  try {
    await expect(backup(repo, { source, type: 'full', threads: 2, signal: controller.signal })).rejects.toThrow('canceled while rereading');
  } finally {
    clearTimeout(timer);
  }
  expect(bytesReadByProcess() - readBefore).toBeLessThan(size / 2);
  expect(await listSnapshots(repo)).toHaveLength(0);
});

test('a deep verify canceled between packs stops with the cancellation, not a report', async () => {
  const { repo } = await filledRepository();
  const controller = new AbortController();
  let packsChecked = 0;
  const run = verify(repo, {
    level: 'deep',
    signal: controller.signal,
    onProgress: (p) => {
      if (p.phase !== 'packs') return;
      packsChecked = p.done;
      controller.abort(new Error('verify canceled'));
    },
  });
  await expect(run).rejects.toThrow('verify canceled');
  expect(packsChecked).toBe(1);
});

test('a repair canceled while reading leaves the index files and snapshots as they were', async () => {
  const { repo, dir } = await filledRepository();
  const indexBefore = listNames(dir, 'index');
  const snapshotsBefore = listNames(dir, 'snapshots');
  const abortOnFirstStep = () => {
    const controller = new AbortController();
    return { signal: controller.signal, onProgress: () => controller.abort(new Error('repair canceled')) };
  };
  const index = abortOnFirstStep();
  await expect(repairIndex(repo, index.onProgress, index.signal)).rejects.toThrow('repair canceled');
  const snapshots = abortOnFirstStep();
  await expect(repairSnapshots(repo, snapshots.onProgress, snapshots.signal)).rejects.toThrow('repair canceled');
  expect(listNames(dir, 'index')).toEqual(indexBefore);
  expect(listNames(dir, 'snapshots')).toEqual(snapshotsBefore);
});
