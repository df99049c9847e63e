// Backup, restore and verify as Temporal workflows on the real dev server with a real worker
// (encoder threads, local repository): byte-identical round trips at scale, incremental
// backups reading only what changed, bounded history, and non-retryable permanent failures.

import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { BackupOutput } from '../../workflows/shared';
import { roundTripThroughWorkflows, useTemporalWorker } from '../helpers/meridianWorker';
import { describeTree, expectSameTree, tempDir, writeTree } from '../helpers/trees';
import { activityAttempts } from '../helpers/activityAttempts';

const PASS = 'integration passphrase';
const setup = useTemporalWorker(PASS);

async function newRepo(): Promise<string> {
  const dir = tempDir('wf-repo');
  await Repository.init(new LocalStorage(dir), PASS, {});
  return dir;
}

test('a tree with a 100 MB file and 10,000 small files round-trips exactly, in a few history events', async () => {
  const repo = await newRepo();
  const source = tempDir('wf-src');
  writeTree(source, { smallFiles: 10_000, largeFiles: [100 * 1024 * 1024] });

  const { backupRun, backup, verified } = await roundTripThroughWorkflows(setup.t, setup.worker, repo, source, 10_003);
  expect(backup.filesUnmodified).toBe(0);
  expect(backup.bytesRead).toBeGreaterThan(100 * 1024 * 1024);
  const events = (await backupRun.fetchHistory()).events ?? [];
  expect(events.length).toBeLessThan(30);
  expect(verified.checked.bytes).toBeGreaterThan(100 * 1024 * 1024);
});

test('an incremental backup reads only the changed files; both snapshots restore exactly', async () => {
  const { t, worker } = setup;
  const repo = await newRepo();
  const source = tempDir('wf-src');
  writeTree(source, { smallFiles: 500, largeFiles: [5 * 1024 * 1024] });
  const first: BackupOutput = await (await startOperation(t.client, 'backup', { repo, path: source, type: 'full' }, worker.taskQueue)).result();
  const before = describeTree(source);

  fs.writeFileSync(path.join(source, 'tiles/z3/x3/f3.dat'), 'rewritten feature');
  fs.appendFileSync(path.join(source, 'large-0.bin'), 'appended tail');
  fs.writeFileSync(path.join(source, 'new.geojson'), '{"type":"FeatureCollection","features":[]}');
  const changed = ['tiles/z3/x3/f3.dat', 'large-0.bin', 'new.geojson'].reduce((n, f) => n + fs.statSync(path.join(source, f)).size, 0);

  const second: BackupOutput = await (await startOperation(t.client, 'backup', { repo, path: source, type: 'incremental' }, worker.taskQueue)).result();
  expect(second).toMatchObject({ type: 'incremental', parent: first.snapshotId, filesChanged: 2, filesNew: 1, bytesRead: changed });

  const t1 = tempDir('wf-dst1');
  const t2 = tempDir('wf-dst2');
  await (await startOperation(t.client, 'restore', { repo, snapshot: first.snapshotId, target: t1 }, worker.taskQueue)).result();
  await (await startOperation(t.client, 'restore', { repo, snapshot: 'latest', target: t2 }, worker.taskQueue)).result();
  expectSameTree(before, t1);
  expectSameTree(source, t2);
});

test('a wrong passphrase fails the workflow at once, without retries', async () => {
  const { t, worker } = setup;
  const dir = tempDir('wf-other');
  await Repository.init(new LocalStorage(dir), 'another passphrase', {});
  const run = await startOperation(t.client, 'verify', { repo: dir, level: 'quick' }, worker.taskQueue);
  const err = await run.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as { type?: string; message: string } | undefined;
  expect(cause).toMatchObject({ type: 'wrong-passphrase', message: expect.stringContaining('passphrase') });
  expect(activityAttempts(await run.fetchHistory(), 'verifyRepository')).toEqual([1]);
});
