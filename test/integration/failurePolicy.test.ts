// The failure policy through real workflows: a restore whose target path is over 4,096 bytes
// fails on its first attempt with a short one-line failure (it once retried forever, at attempt
// 17 with "Failure exceeds size limit"), and Temporal holds the bounded retry policy.

import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { describeFailure, startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { BackupOutput } from '../../workflows/shared';
import { useTemporalWorker } from '../helpers/meridianWorker';
import { tempDir, writeTree } from '../helpers/trees';
import { activityAttempts } from '../helpers/activityAttempts';

const PASS = 'failure policy passphrase';
const setup = useTemporalWorker(PASS);

/** The workflow's result, or a failure if it is still running after `ms`. */
async function resultWithin<T>(handle: { result(): Promise<T> }, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([handle.result(), late]);
  } finally {
    clearTimeout(timer);
  }
}

test('a restore into a target path over 4,096 bytes fails at once, on attempt 1, with a bounded message', async () => {
  const repo = tempDir('policy-repo');
  await Repository.init(new LocalStorage(repo), PASS, {});
  const source = tempDir('policy-src');
  writeTree(source, { smallFiles: 3 });
  const { client } = setup.t;
  const backup: BackupOutput = await (await startOperation(client, 'backup', { repo, path: source }, setup.worker.taskQueue)).result();

  const target = path.join(tempDir('policy-dst'), ...Array.from({ length: 25 }, (_, i) => `${i}`.padEnd(200, 'x')));
  const run = await startOperation(client, 'restore', { repo, snapshot: backup.snapshotId, target }, setup.worker.taskQueue);
  const failed = await resultWithin(run, 30_000).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failed).toBeInstanceOf(WorkflowFailedError);
  const failure = describeFailure(failed);
  expect(failure.type).toBe('filesystem');
  expect(failure.message).toMatch(/^\[filesystem\] mkdir \/.* … .*: name too long \(ENAMETOOLONG\)$/);
  expect(failure.message.length).toBeLessThanOrEqual(1000);

  const events = (await run.fetchHistory()).events ?? [];
  expect(activityAttempts({ events }, 'restoreSnapshot')).toEqual([1]);
  const policy = events.find((e) => e.activityTaskScheduledEventAttributes)!.activityTaskScheduledEventAttributes!.retryPolicy!;
  expect(policy.maximumAttempts).toBe(10);
  expect(policy.nonRetryableErrorTypes).toEqual(expect.arrayContaining(['filesystem', 'no-space', 'storage-permanent', 'wrong-passphrase']));
  expect(policy.nonRetryableErrorTypes).not.toContain('storage-unavailable');
});
