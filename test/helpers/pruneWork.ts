// What a prune would still find to do in a repository: the check that a prune (or its rerun)
// finished the job, with --max-unused 0.

import { BlobReader } from '../../core/blobReader';
import { MasterIndex } from '../../core/masterIndex';
import { decidePacks, PackDecisions } from '../../core/packUsage';
import { addUsedBlobs, readSnapshots } from '../../core/reachability';
import { Repository } from '../../core/repository';

export async function remainingWork(repo: Repository, maxUnusedPercent: number): Promise<PackDecisions> {
  const stored = new Map<string, number>();
  for await (const pack of repo.storage.list('data')) stored.set(pack.name, pack.size);
  const index = await MasterIndex.load(repo);
  const used = new Set<string>();
  await addUsedBlobs(new BlobReader(repo, index), await readSnapshots(repo), used);
  return decidePacks(index, used, stored, { maxUnusedPercent, packSize: repo.config.packSize });
}

/** No pack to delete, none with an unused blob, none unindexed. */
export async function expectNothingLeftToPrune(repo: Repository): Promise<void> {
  const work = await remainingWork(repo, 0);
  expect({ delete: work.deletePacks, repack: work.repackPacks.map((p) => p.id), unindexed: work.unindexedPacks }).toEqual({ delete: [], repack: [], unindexed: [] });
}
