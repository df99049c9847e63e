// Through a real Temporal worker: a backup whose lock is removed while it runs (as `meridian
// unlock --force` from another host would) fails that attempt with the retryable
// concurrent-change failure; Temporal runs the activity again and the workflow completes, with
// no lock left behind.

import fs from 'node:fs';
import path from 'node:path';
import { startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { createMeridianWorker } from '../../worker/createWorker';
import { testAuthority, workflowBundle } from '../helpers/meridianWorker';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { pseudoRandomBytes, tempDir } from '../helpers/trees';

const PASS = 'lock loss';

let t: TestConnection;
beforeAll(async () => {
  t = await testConnection();
});
afterAll(async () => {
  await t.close();
});

test('a backup whose lock is removed is retried by Temporal and completes', async () => {
  const dir = tempDir('lock-loss-repo');
  await Repository.init(new LocalStorage(dir), PASS, { packSizeMiB: 1 });
  const source = tempDir('lock-loss-src');
  fs.writeFileSync(path.join(source, 'raster.tif'), pseudoRandomBytes(6_000_000, 11));
  const taskQueue = uniqueTaskQueue('lock-loss');
  const worker = await createMeridianWorker({
    connection: t.connection,
    taskQueue,
    deps: {
      authority: testAuthority(PASS),
      // Slow uploads: the first attempt is still running when its lock goes.
      openRepository: (admitted) => Repository.open(new FaultyStorage(new LocalStorage(admitted.url), { putDelayMs: 50 }), admitted.passphrase()),
      lockTimings: { refreshMs: 500, staleMs: 2000 },
    },
    overrides: { workflowBundle: await workflowBundle(), workflowsPath: undefined, shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  const locks = path.join(dir, 'locks');
  const lockFiles = () => (fs.existsSync(locks) ? fs.readdirSync(locks).filter((name) => !name.includes('.tmp-')) : []);
  let removed: string | undefined;
  const remover = setInterval(() => {
    if (removed === undefined) {
      removed = lockFiles()[0];
      if (removed !== undefined) fs.rmSync(path.join(locks, removed));
    }
  }, 10);
  try {
    const handle = await startOperation(t.client, 'backup', { repo: dir, path: source, type: 'full' }, taskQueue);
    const result = await handle.result();
    expect(removed).toBeDefined();
    const started = (await handle.fetchHistory()).events!.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
    expect(started.attempt).toBe(2);
    expect(started.lastFailure?.message).toContain('the lock was removed');
    expect(started.lastFailure?.applicationFailureInfo).toMatchObject({ type: 'concurrent-change', nonRetryable: false });
    expect((await listSnapshots(await Repository.open(new LocalStorage(dir), PASS))).map((s) => s.id)).toContain(result.snapshotId);
    expect(lockFiles()).toEqual([]);
  } finally {
    clearInterval(remover);
    worker.shutdown();
    await running;
  }
});
