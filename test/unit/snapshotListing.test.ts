// A snapshot forgotten while another operation lists the snapshots (a backup choosing its parent,
// a restore, a verify running beside `meridian forget`) is left out of the listing: its file was
// listed but is gone when read. Found by the prune safety trials: a backup started just before
// a forget failed with "not found".

import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { MemoryStorage } from '../../storage/memory';
import { FileType, ListedObject, Storage } from '../../storage/storage';
import { tempDir, writeTree } from '../helpers/trees';

const PASS = 'listing races a forget';

/** `inner`, except that listing snapshots deletes `forgotten` right after listing it, as a forget running beside would. */
function forgetDuringListing(inner: Storage, forgotten: Set<string>): Storage {
  return {
    location: inner.location,
    put: (h, data) => inner.put(h, data),
    get: (h, range) => inner.get(h, range),
    stat: (h) => inner.stat(h),
    delete: (h) => inner.delete(h),
    close: () => inner.close(),
    async *list(type: FileType): AsyncIterable<ListedObject> {
      const entries: ListedObject[] = [];
      for await (const entry of inner.list(type)) entries.push(entry);
      for (const entry of entries) {
        if (type === 'snapshots' && forgotten.has(entry.name)) await inner.delete({ type, name: entry.name });
        yield entry;
      }
    },
  };
}

test('a snapshot deleted between the listing and its read is left out, and a backup beside the forget succeeds', async () => {
  const forgotten = new Set<string>();
  const repo = await Repository.init(forgetDuringListing(new MemoryStorage(), forgotten), PASS, { packSizeMiB: 1 });
  const source = tempDir('listing-src');
  writeTree(source, { smallFiles: 5 });
  const first = await backup(repo, { source, type: 'full', threads: 0 });
  const second = await backup(repo, { source, type: 'full', threads: 0 });

  forgotten.add(first.snapshotId);
  expect((await listSnapshots(repo)).map((s) => s.id)).toEqual([second.snapshotId]);

  forgotten.add(second.snapshotId);
  const third = await backup(repo, { source, type: 'incremental', threads: 0 });
  expect(third.parent).toBeNull();
  expect((await listSnapshots(repo)).map((s) => s.id)).toEqual([third.snapshotId]);
});

test('snapshots an earlier listing read are not read again', async () => {
  const storage = new MemoryStorage();
  const repo = await Repository.init(storage, PASS, { packSizeMiB: 1 });
  const source = tempDir('listing-known');
  writeTree(source, { smallFiles: 3 });
  await backup(repo, { source, type: 'full', threads: 0 });
  const earlier = await listSnapshots(repo);
  const second = await backup(repo, { source, type: 'incremental', threads: 0 });
  const reads: string[] = [];
  const get = storage.get.bind(storage);
  storage.get = (h, range) => {
    if (h.type === 'snapshots') reads.push(h.name);
    return get(h, range);
  };
  const listing = await listSnapshots(repo, { known: new Map(earlier.map((s) => [s.id, s])) });
  expect(listing.map((s) => s.id)).toEqual([earlier[0]!.id, second.snapshotId]);
  expect(reads).toEqual([second.snapshotId]);
});
