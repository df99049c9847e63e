// A worker process SIGKILLed in the middle of a large backup, while streaming packs into a local
// repository as production does: a new worker finishes the same workflow (a retried activity
// attempt), the snapshot restores exactly, and the packs the first worker had stored and indexed
// are not uploaded again.

import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { startOperation } from '../../api/operations';
import { IndexFileSchema } from '../../core/masterIndex';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { BackupOutput } from '../../workflows/shared';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { withWorkerConfig } from '../helpers/workerConfig';
import { testAddress, testConnection, TestConnection } from '../helpers/temporal';
import { expectSameTree, pseudoRandomBytes, tempDir } from '../helpers/trees';

const PASS = 'kill test passphrase';
const FILES = 12;
const FILE_SIZE = 8 * 1024 * 1024;
let t: TestConnection;
let child: ChildProcess | undefined;
let second: RunningWorker | undefined;

beforeAll(async () => {
  t = await testConnection();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await second?.stop();
  await t?.close();
});

/** Bytes of the packs listed in the repository's index files right now. */
async function indexedPackBytes(repo: Repository, dir: string): Promise<number> {
  let total = 0;
  for await (const entry of repo.storage.list('index')) {
    const file = await repo.loadJsonFile('index', entry.name, IndexFileSchema);
    for (const pack of file.packs) total += fs.statSync(path.join(dir, 'data', pack.id.slice(0, 2), pack.id)).size;
  }
  return total;
}

test('a killed worker\'s backup is finished by another worker without re-uploading indexed packs', async () => {
  const dir = tempDir('kill-repo');
  const repo = await Repository.init(new LocalStorage(dir), PASS, { packSizeMiB: 4 });
  const source = tempDir('kill-src');
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(source, `scene-${i}.tif`), pseudoRandomBytes(FILE_SIZE, 7 + i));

  // Start the workflow first, then the slow worker that will take it.
  const taskQueue = `kill-${process.pid}-${Date.now()}`;
  const run = await startOperation(t.client, 'backup', { repo: dir, path: source, type: 'full' }, taskQueue);
  child = spawn(process.execPath, [path.join(__dirname, '../../dist/test/fixtures/slowWorker.js')], {
    env: withWorkerConfig(
      { ...process.env, TEMPORAL_TEST_ADDRESS: testAddress(), TASK_QUEUE: taskQueue, PASSPHRASE: PASS, PUT_DELAY_MS: '400', MERIDIAN_HOME: tempDir('kill-home') },
      { repositories: [dir], roots: [source] },
    ),
    stdio: ['ignore', 'pipe', 'inherit'],
  });

  // Kill it once at least two index files (8 packs) are stored, well before the end.
  let indexFiles = 0;
  for (let waited = 0; indexFiles < 2; waited += 100) {
    if (waited > 120_000) throw new Error('the slow worker never stored two index files');
    await new Promise((r) => setTimeout(r, 100));
    indexFiles = fs.existsSync(path.join(dir, 'index')) ? fs.readdirSync(path.join(dir, 'index')).filter((f) => !f.includes('.tmp-')).length : 0;
  }
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  // Killed in the production pack path of a local repository: packs streamed into temporary files.
  expect(fs.readdirSync(path.join(dir, 'data')).filter((name) => name.startsWith('stream.tmp-')).length).toBeGreaterThan(0);
  expect((await run.describe()).status.name).toBe('RUNNING');
  const indexedBeforeKill = await indexedPackBytes(repo, dir);
  expect(indexedBeforeKill).toBeGreaterThanOrEqual(8 * 4 * 1024 * 1024 * 0.9);

  // A healthy worker on the same queue picks the activity up after its heartbeat times out.
  second = await startWorker(t, PASS, taskQueue);
  const result: BackupOutput = await run.result();
  const sourceBytes = FILES * FILE_SIZE;
  expect(result.filesNew).toBe(FILES);
  expect(result.bytesStored).toBeLessThanOrEqual(sourceBytes - indexedBeforeKill + 1024 * 1024);

  const attempts = ((await run.fetchHistory()).events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
  expect(attempts).toEqual([2]);

  const target = tempDir('kill-dst');
  await (await startOperation(t.client, 'restore', { repo: dir, snapshot: result.snapshotId, target }, taskQueue)).result();
  expectSameTree(source, target);
});
