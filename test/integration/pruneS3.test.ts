// Prune against the real SeaweedFS S3 server of the test setup: the space check (all snapshots
// but one forgotten, --max-unused 0: within 2% of a fresh repository holding that one), and a
// prune killed at changes spread over its run leaving a repository that verifies clean and
// restores every kept snapshot exactly, which a rerun then finishes.

import { verify } from '../../core/checker';
import { acquireLock } from '../../core/locks';
import { prune } from '../../core/prune';
import { Repository } from '../../core/repository';
import type { S3Config } from '../../storage/config';
import { FaultyStorage } from '../../storage/faulty';
import { createS3Storage } from '../../storage/s3';
import { FILE_TYPES, Storage } from '../../storage/storage';
import { buildHistory, expectIntact, forgetSnapshots, HISTORY_PASSPHRASE, prunedAgainstFresh } from '../helpers/pruneHistory';
import { expectNothingLeftToPrune } from '../helpers/pruneWork';

const BUCKET = `meridian-prune-${process.pid}`;
let prefixes = 0;
const opened: Storage[] = [];

function s3Storage(): Storage {
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts SeaweedFS.');
  prefixes += 1;
  const config: S3Config = { type: 's3', bucket: BUCKET, prefix: `p${prefixes}/repo`, endpoint, region: 'us-east-1', pathStyle: true };
  const storage = createS3Storage(config);
  opened.push(storage);
  return storage;
}

async function copyObjects(from: Storage, to: Storage): Promise<void> {
  for (const type of FILE_TYPES) {
    for await (const entry of from.list(type)) await to.put({ type, name: entry.name }, await from.get({ type, name: entry.name }));
  }
}

beforeAll(async () => {
  await s3Storage().createLocation!();
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

it('on S3, forgetting all snapshots but one and pruning with --max-unused 0 leaves a repository within 2% of a fresh one', async () => {
  const { pruned, fresh, history } = await prunedAgainstFresh(s3Storage(), s3Storage(), 4);
  expect(history).toBeGreaterThan(1.5 * fresh);
  expect(Math.abs(pruned - fresh) / fresh).toBeLessThanOrEqual(0.02);
});

it('on S3, a prune killed at any change leaves a repository that verifies clean, and a rerun finishes the job', async () => {
  const original = s3Storage();
  const { repo, sources } = await buildHistory(original, 4);
  const ids = [...sources.keys()];
  await forgetSnapshots(repo, ids.slice(0, 2));
  const kept = new Map(ids.slice(2).map((id) => [id, sources.get(id)!]));

  /** Prunes a copy, "killed" at its `dieAt`th change; how many changes it made. */
  const pruneCopy = async (dieAt: number | undefined) => {
    const copy = s3Storage();
    await copyObjects(original, copy);
    const faulty = new FaultyStorage(copy, { dieAtChange: dieAt });
    // The lock on the plain storage: its timed refreshes would make the count of changes vary.
    const lock = await acquireLock(await Repository.open(copy, HISTORY_PASSPHRASE), { operation: 'prune', exclusive: true });
    try {
      await prune(await Repository.open(faulty, HISTORY_PASSPHRASE), { maxUnusedPercent: 0, heldLock: lock });
      return { copy, changes: faulty.counts.changes, killed: false };
    } catch (err) {
      expect((err as Error).message).toContain('killed');
      return { copy, changes: faulty.counts.changes, killed: true };
    } finally {
      await lock.release();
    }
  };

  const complete = await pruneCopy(undefined);
  expect(complete.killed).toBe(false);
  // Every change is covered on disk (test/unit/pruneInterrupted.test.ts); here six points spread
  // over the whole run, the first and the last included, keep the test to seconds.
  const points = new Set([1, complete.changes, ...[1, 2, 3, 4].map((i) => Math.round((i * complete.changes) / 5))]);
  for (const dieAt of [...points].sort((a, b) => a - b)) {
    const killed = await pruneCopy(dieAt);
    expect({ dieAt, killed: killed.killed }).toEqual({ dieAt, killed: true });
    const left = await Repository.open(killed.copy, HISTORY_PASSPHRASE);
    await expectIntact(left, kept);
    await prune(left, { maxUnusedPercent: 0 });
    expect((await verify(left, { level: 'deep' })).problems).toEqual([]);
    await expectNothingLeftToPrune(left);
  }
});
