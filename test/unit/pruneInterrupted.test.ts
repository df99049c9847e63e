// A prune killed at each of its changes to the repository in turn (every put, delete and removal,
// from the first to the last): the repository it leaves verifies clean and restores every kept
// snapshot byte-identical, and a second prune finishes the job (nothing left to delete or repack).

import fs from 'node:fs';
import { verify } from '../../core/checker';
import { acquireLock } from '../../core/locks';
import { prune } from '../../core/prune';
import { readPrunePlans } from '../../core/prunePlan';
import { Repository } from '../../core/repository';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { buildHistory, expectIntact, forgetSnapshots, HISTORY_PASSPHRASE } from '../helpers/pruneHistory';
import { expectNothingLeftToPrune } from '../helpers/pruneWork';
import { tempDir } from '../helpers/trees';

let built: { dir: string; ids: string[]; sources: Map<string, string> };
beforeAll(async () => {
  const dir = tempDir('prune-history');
  const { repo, sources } = await buildHistory(new LocalStorage(dir), 4);
  const ids = [...sources.keys()];
  await forgetSnapshots(repo, ids.slice(0, 2));
  built = { dir, ids, sources: new Map(ids.slice(2).map((id) => [id, sources.get(id)!])) };
});

/** Prunes a copy of the built repository, "killed" at its `dieAt`th change; how many changes it made. */
async function pruneCopy(dieAt: number | undefined): Promise<{ dir: string; changes: number; killed: boolean }> {
  const dir = tempDir('prune-killed');
  fs.cpSync(built.dir, dir, { recursive: true });
  const storage = new FaultyStorage(new LocalStorage(dir), { dieAtChange: dieAt });
  // The lock is kept on the plain storage: its refreshes, on a timer, would make the count of changes vary.
  const lock = await acquireLock(await Repository.open(new LocalStorage(dir), HISTORY_PASSPHRASE), { operation: 'prune', exclusive: true });
  try {
    await prune(await Repository.open(storage, HISTORY_PASSPHRASE), { maxUnusedPercent: 0, heldLock: lock });
    return { dir, changes: storage.counts.changes, killed: false };
  } catch (err) {
    expect((err as Error).message).toContain('killed');
    return { dir, changes: storage.counts.changes, killed: true };
  } finally {
    await lock.release(); // a killed prune's lock would go stale; the rerun's own wait is tested elsewhere
  }
}

it('a prune killed at any change leaves a repository that verifies clean, and a rerun finishes the job', async () => {
  const complete = await pruneCopy(undefined);
  expect(complete.killed).toBe(false);
  expect(complete.changes).toBeGreaterThan(5);
  for (let dieAt = 1; dieAt <= complete.changes; dieAt++) {
    const killed = await pruneCopy(dieAt);
    expect({ dieAt, killed: killed.killed }).toEqual({ dieAt, killed: true });
    const repo = await Repository.open(new LocalStorage(killed.dir), HISTORY_PASSPHRASE);
    await expectIntact(repo, built.sources);

    await prune(repo, { maxUnusedPercent: 0 });
    expect((await verify(repo, { level: 'deep' })).problems).toEqual([]);
    await expectNothingLeftToPrune(repo);
    expect((await readPrunePlans(repo)).plans.map((p) => p.state)).toEqual(['done']);
  }
});
