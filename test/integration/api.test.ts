// The HTTP API end to end through app.request: a real Temporal dev server, a real worker and real
// local repositories. Backup, list, restore (byte-identical) and deep verify over HTTP; a wrong
// passphrase fails the operation once, without retries, and says so; forgets by policy and by
// DELETE /v1/snapshots/:id; one prune per repository at a time; unlock (a live lock kept, then
// removed with force) and both repairs (a deleted index rebuilt); an operation no worker
// serves reads as running at once (the progress query does not wait for a worker); a wait ends
// when the operation does, and a cancel ends a running one; and, over a
// real listener, bodies of 3, 10 and 100 MB are refused with 413 at once, before they are read.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { backup as backupCore } from '../../core/archiver';
import { writeJournalSegment } from '../../core/journal';
import { acquireLock } from '../../core/locks';
import { Repository } from '../../core/repository';
import { createApiApp } from '../../api/app';
import type { OperationView } from '../../api/operations';
import { serveApi } from '../../api/serve';
import { LocalStorage } from '../../storage/local';
import { RunningWorker, startWorker, testAuthority } from '../helpers/meridianWorker';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { hourlyTimes, writeSnapshots } from '../helpers/snapshotHistories';
import { describeTree, expectSameTree, tempDir, writeTree } from '../helpers/trees';
import { activityAttempts } from '../helpers/activityAttempts';

const PASS = 'test-pass';
const TOKEN = 'integration-token';

let t: TestConnection;
let worker: RunningWorker;
let app: ReturnType<typeof createApiApp>;

beforeAll(async () => {
  t = await testConnection();
  worker = await startWorker(t, PASS);
  app = createApiApp({ client: t.client, authority: testAuthority(PASS), token: TOKEN, taskQueue: worker.taskQueue });
});

afterAll(async () => {
  await worker?.stop();
  await t?.close();
});

const auth = { Authorization: `Bearer ${TOKEN}` };

async function get<T>(path: string, status = 200): Promise<T> {
  const response = await app.request(path, { headers: auth });
  const body = (await response.json()) as T;
  expect({ path, status: response.status, body }).toMatchObject({ status });
  return body;
}

/** POSTs an operation, expects 202 and a Location to poll, and returns the workflow id. */
async function start(path: string, body: object): Promise<string> {
  const response = await app.request(path, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await response.json()) as { workflowId: string };
  expect({ status: response.status, answer }).toMatchObject({ status: 202, answer: { workflowId: expect.any(String) } });
  expect(response.headers.get('Location')).toBe(`/v1/operations/${encodeURIComponent(answer.workflowId)}`);
  return answer.workflowId;
}

async function finished(workflowId: string, timeoutMs = 60_000): Promise<OperationView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await get<OperationView>(`/v1/operations/${encodeURIComponent(workflowId)}`);
    if (view.status !== 'running') return view;
    if (Date.now() > deadline) throw new Error(`${workflowId} still running after ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function newRepo(passphrase: string): Promise<string> {
  const dir = tempDir('api-repo');
  await Repository.init(new LocalStorage(dir), passphrase, {});
  return dir;
}

test('backup, snapshots, restore and deep verify over HTTP', async () => {
  const repo = await newRepo(PASS);
  const source = tempDir('api-src');
  writeTree(source, { smallFiles: 12, largeFiles: [300 * 1024] });

  const backupId = await start('/v1/backups', { repo, path: source, type: 'full', tags: ['api'] });
  expect(backupId).toMatch(/^backup:/);
  const backup = await finished(backupId);
  expect(backup).toMatchObject({ workflowId: backupId, operation: 'backup', status: 'completed', result: { type: 'full', parent: null } });
  const { snapshotId, files, bytes } = backup.result as { snapshotId: string; files: number; bytes: number };
  expect(snapshotId).toMatch(/^[0-9a-f]{64}$/);
  // The id also works unencoded, slashes and all.
  expect(await get<OperationView>(`/v1/operations/${backupId}`)).toEqual(backup);

  const { snapshots } = await get<{ snapshots: unknown[] }>(`/v1/snapshots?repo=${encodeURIComponent(repo)}`);
  expect(snapshots).toEqual([
    { id: snapshotId, time: expect.any(String), host: expect.any(String), source, type: 'full', parent: null, tags: ['api'], files, bytes },
  ]);

  const target = tempDir('api-dst');
  const restore = await finished(await start('/v1/restores', { repo, snapshot: snapshotId.slice(0, 12), target }));
  expect(restore).toMatchObject({ operation: 'restore', status: 'completed', result: { snapshotId, files, bytes } });
  expectSameTree(source, target);

  const verify = await finished(await start('/v1/verifications', { repo, level: 'deep', samplePercent: 100 }));
  expect(verify).toMatchObject({ operation: 'verify', status: 'completed', result: { level: 'deep', ok: true, problems: [] } });
});

test('POST /v1/restores/at and GET /v1/snapshots?at=&source= restore and explain a source as of a time', async () => {
  const dir = tempDir('api-restore-at');
  const repo = await Repository.init(new LocalStorage(dir), PASS, {});
  const source = tempDir('api-at-src');
  writeTree(source, { smallFiles: 4 });
  const t0 = Date.parse('2026-03-01T10:00:00Z');
  const { snapshotId } = await backupCore(repo, { source, type: 'full', host: 'api-host', time: new Date(t0) });
  const before = describeTree(source);
  writeFileSync(path.join(source, 'later.txt'), 'written after the snapshot');
  await writeJournalSegment(repo, { source, host: 'api-host', changed: ['later.txt'], deleted: [], from: new Date(t0), until: new Date(t0 + 60_000) });
  const query = (at: string) => `/v1/snapshots?repo=${encodeURIComponent(dir)}&at=${encodeURIComponent(at)}&source=${encodeURIComponent(source)}`;
  expect(await get(query('2026-03-01T10:00:30Z'))).toMatchObject({ snapshot: { id: snapshotId }, segments: [], covered: { from: '2026-03-01T10:00:00.000Z', until: '2026-03-01T10:01:00.000Z' } });
  expect(await get(query('2026-03-01T10:01:00Z'))).toMatchObject({ snapshot: { id: snapshotId }, segments: [{ changed: 1, deleted: 0 }] });

  const early = tempDir('api-at-early');
  const earlyRun = await finished(await start('/v1/restores/at', { repo: dir, source, at: '2026-03-01T10:00:30Z', target: early }));
  expect(earlyRun).toMatchObject({ operation: 'restore-at', status: 'completed', result: { snapshot: snapshotId, segments: 0 } });
  expectSameTree(before, early);
  const late = tempDir('api-at-late');
  expect(await finished(await start('/v1/restores/at', { repo: dir, source, at: '2026-03-01T10:01:00Z', target: late }))).toMatchObject({ status: 'completed', result: { segments: 1 } });
  expectSameTree(source, late);
  const refused = await finished(await start('/v1/restores/at', { repo: dir, source, at: '2026-03-01T09:59:00Z', target: tempDir('api-at-refused') }));
  expect(refused).toMatchObject({ status: 'failed', error: { message: expect.stringContaining('restorable from 2026-03-01T10:00:00.000Z until 2026-03-01T10:01:00.000Z') } });
});

test('forget by policy (a dry run, then for real) and DELETE /v1/snapshots/:id over HTTP', async () => {
  const dir = tempDir('api-forget');
  const repo = await Repository.init(new LocalStorage(dir), PASS, {});
  const ids = await writeSnapshots(repo, hourlyTimes(4, '2026-11-30T12:00:00Z', 24).map((time) => ({ time })));
  const listed = async () => (await get<{ snapshots: { id: string }[] }>(`/v1/snapshots?repo=${encodeURIComponent(dir)}`)).snapshots.map((s) => s.id);

  const dryRun = await finished(await start('/v1/forgets', { repo: dir, policy: { keepLast: 2 }, timezone: 'UTC', dryRun: true }));
  expect(dryRun).toMatchObject({ operation: 'forget', status: 'completed', result: { dryRun: true, kept: 2, removed: 2, groups: [{ keep: [{ id: ids[3] }, { id: ids[2] }] }] } });
  expect(await listed()).toEqual(ids);

  const forgetId = await start('/v1/forgets', { repo: dir, policy: { keepLast: 3 } });
  expect(forgetId).toMatch(new RegExp(`^forget:${dir}:policy:`));
  expect(await finished(forgetId)).toMatchObject({ status: 'completed', result: { dryRun: false, kept: 3, removed: 1 } });
  expect(await listed()).toEqual(ids.slice(1));

  const response = await app.request(`/v1/snapshots/${ids[2]!.slice(0, 8)}?repo=${encodeURIComponent(dir)}`, { method: 'DELETE', headers: auth });
  const { workflowId } = (await response.json()) as { workflowId: string };
  expect({ status: response.status, location: response.headers.get('Location') }).toEqual({ status: 202, location: `/v1/operations/${encodeURIComponent(workflowId)}` });
  expect(await finished(workflowId)).toMatchObject({ status: 'completed', result: { removed: 1, groups: [{ remove: [{ id: ids[2], reasons: ['named'] }] }] } });
  expect(await listed()).toEqual([ids[1], ids[3]]);
});

test('one prune per repository: a second start while one is open is a 409 naming it; after it, prunes start again', async () => {
  const unserved = createApiApp({ client: t.client, authority: testAuthority(PASS), token: TOKEN, taskQueue: uniqueTaskQueue('nobody') });
  const repo = await newRepo(PASS);
  const prune = (app: ReturnType<typeof createApiApp>, body: object) =>
    app.request('/v1/prunes', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ repo, ...body }) });

  const first = await prune(unserved, {});
  expect({ status: first.status, body: await first.json() }).toEqual({ status: 202, body: { workflowId: `prune:${repo}` } });
  const second = await prune(app, { dryRun: true });
  expect({ status: second.status, body: await second.json() }).toEqual({
    status: 409,
    body: { error: { code: 'conflict', message: expect.stringContaining(`a prune of this repository is already running (workflow prune:${repo})`) } },
  });

  await t.client.workflow.getHandle(`prune:${repo}`).terminate('test over');
  const third = await finished(await start('/v1/prunes', { repo, maxUnusedPercent: 0 }));
  expect(third).toMatchObject({ workflowId: `prune:${repo}`, operation: 'prune', status: 'completed', result: { dryRun: false, packs: { deleted: 0, repacked: 0 } } });
});

test('unlock and both repairs over HTTP: a live lock is kept, then removed with force; a lost index is rebuilt', async () => {
  const dir = await newRepo(PASS);
  const repo = await Repository.open(new LocalStorage(dir), PASS);
  const held = await acquireLock(repo, { operation: 'backup' });
  try {
    const stale = await finished(await start('/v1/unlocks', { repo: dir }));
    expect(stale).toMatchObject({ operation: 'unlock', status: 'completed', result: { force: false, removedCount: 0, keptCount: 1, kept: [{ id: held.id }] } });
    const forced = await finished(await start('/v1/unlocks', { repo: dir, force: true }));
    expect(forced).toMatchObject({ operation: 'unlock', status: 'completed', result: { force: true, removedCount: 1, keptCount: 0, removed: [{ id: held.id }] } });
    await expect(held.confirm()).rejects.toThrow();
  } finally {
    await held.release().catch(() => undefined);
  }

  const source = tempDir('api-repair-src');
  writeTree(source, { smallFiles: 6 });
  const { snapshotId } = await backupCore(repo, { source, type: 'full' });
  const indexDir = path.join(dir, 'index');
  for (const file of readdirSync(indexDir)) rmSync(path.join(indexDir, file), { recursive: true });
  const index = await finished(await start('/v1/repairs/index', { repo: dir }));
  expect(index).toMatchObject({ operation: 'repair-index', status: 'completed', result: { packsUnreadable: 0, indexFilesWritten: 1 } });
  expect((index.result as { blobsIndexed: number }).blobsIndexed).toBeGreaterThan(6);
  const snapshots = await finished(await start('/v1/repairs/snapshots', { repo: dir }));
  expect(snapshots).toMatchObject({ operation: 'repair-snapshots', status: 'completed', result: { snapshotsChecked: 1, snapshotsRepaired: 0 } });
  const target = tempDir('api-repair-dst');
  expect(await finished(await start('/v1/restores', { repo: dir, snapshot: snapshotId, target }))).toMatchObject({ status: 'completed' });
  expectSameTree(source, target);
});

test('a backup into a repository the worker cannot open fails once, naming the passphrase', async () => {
  const repo = await newRepo('another passphrase');
  const source = tempDir('api-src');
  writeTree(source, { smallFiles: 3 });

  const workflowId = await start('/v1/backups', { repo, path: source });
  const view = await finished(workflowId, 30_000);
  expect(view).toMatchObject({ status: 'failed', error: { type: 'wrong-passphrase', message: expect.stringMatching(/passphrase/) } });

  // Non-retryable: the activity ran exactly once.
  const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
  expect(activityAttempts(history, 'backupSnapshot')).toEqual([1]);

  // The API opens repositories with the same passphrases, so listing fails the same way.
  const listing = await get<{ error: { code: string; message: string } }>(`/v1/snapshots?repo=${encodeURIComponent(repo)}`, 422);
  expect(listing.error).toMatchObject({ code: 'wrong_passphrase', message: expect.stringMatching(/passphrase/) });
});

test('an unknown workflow id is a 404, a directory that is no repository a 422', async () => {
  const missing = await get<{ error: { code: string } }>(`/v1/operations/${encodeURIComponent('backup:/nowhere:/nothing:never')}`, 404);
  expect(missing.error.code).toBe('not_found');
  const notRepo = await get<{ error: { code: string } }>(`/v1/snapshots?repo=${encodeURIComponent(tempDir('api-empty'))}`, 422);
  expect(notRepo.error.code).toBe('not_a_repository');
});

test('an operation that no worker serves reads as running without waiting, then as terminated', async () => {
  const unserved = createApiApp({ client: t.client, authority: testAuthority(PASS), token: TOKEN, taskQueue: uniqueTaskQueue('nobody') });
  const response = await unserved.request('/v1/verifications', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ repo: '/srv/none' }) });
  const { workflowId } = (await response.json()) as { workflowId: string };

  const started = Date.now();
  expect(await get<OperationView>(`/v1/operations/${encodeURIComponent(workflowId)}`)).toMatchObject({ operation: 'verify', status: 'running' });
  expect(Date.now() - started).toBeLessThan(10_000);

  await t.client.workflow.getHandle(workflowId).terminate('test over');
  expect(await get<OperationView>(`/v1/operations/${encodeURIComponent(workflowId)}`)).toMatchObject({ status: 'terminated', error: { message: 'the workflow was terminated' } });
});

test('a wait answers when the operation ends, and a cancel ends a running one (a second is 409)', async () => {
  const repo = await newRepo(PASS);
  // The workflow runs on the worker; its activity waits on a task queue no worker polls.
  const workflowId = await start('/v1/verifications', { repo, dataTaskQueue: uniqueTaskQueue('nobody') });
  const operation = `/v1/operations/${encodeURIComponent(workflowId)}`;
  expect(await get<OperationView>(`${operation}?wait=1`)).toMatchObject({ operation: 'verify', status: 'running' });

  const cancel = await app.request(`${operation}/cancel`, { method: 'POST', headers: auth });
  expect({ status: cancel.status, body: await cancel.json() }).toEqual({ status: 200, body: { workflowId, cancelRequested: true } });
  expect(await get<OperationView>(`${operation}?wait=60`)).toMatchObject({ status: 'canceled' });

  const again = await app.request(`${operation}/cancel`, { method: 'POST', headers: auth });
  expect({ status: again.status, body: await again.json() }).toEqual({ status: 409, body: { error: { code: 'rejected', message: `${workflowId} is not running (canceled)` } } });
  const unknown = await app.request(`/v1/operations/${encodeURIComponent('backup:/nowhere')}/cancel`, { method: 'POST', headers: auth });
  expect(unknown.status).toBe(404);
});

test.each(['61', '-1', '1.5', 'soon', ''])('?wait=%s is a 400 naming the field', async (wait) => {
  expect(await get<{ error: { code: string; message: string } }>(`/v1/operations/anything?wait=${wait}`, 400)).toEqual({
    error: { code: 'invalid_request', message: 'wait: must be a whole number of seconds from 0 to 60' },
  });
});

interface BodyAnswer {
  status: number;
  body: { error: { code: string; message: string } };
  ms: number;
  /** Bytes the client had written when the answer came. */
  sentBeforeAnswer: number;
}

/** POSTs `bytes` of body over real HTTP, written 1 MiB at a time until the server answers. */
function postLargeBody(port: number, bytes: number, chunked: boolean): Promise<BodyAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const headers = { ...auth, 'Content-Type': 'application/json', ...(chunked ? {} : { 'Content-Length': String(bytes) }) };
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/backups', headers });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      const sentBeforeAnswer = sent;
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')), ms: Date.now() - started, sentBeforeAnswer });
        request.destroy();
      });
    });
    // Once the server has answered and closed, the rest of the upload fails: that is expected.
    request.on('error', (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && sent < bytes) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', pump);
      }
      if (!answered) request.end();
    };
    pump();
  });
}

describe('request bodies over the limit, through a real listener', () => {
  let served: Awaited<ReturnType<typeof serveApi>>;
  beforeAll(async () => {
    served = await serveApi(app, 0);
  });
  afterAll(async () => {
    await served?.close();
  });

  const MB = 1024 * 1024;
  it.each([
    [3 * MB, false],
    [10 * MB, false],
    [100 * MB, false],
    [3 * MB, true],
    [100 * MB, true],
  ])('a body of %d bytes (chunked: %s) is a 413 at once', async (bytes, chunked) => {
    const answer = await postLargeBody(served.port, bytes, chunked);
    expect(answer).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large', message: 'the request body is larger than 64 KiB' } } });
    expect(answer.ms).toBeLessThan(3000);
    // The answer came before the client could send 100 MB: the server did not read the body.
    if (bytes === 100 * MB) expect(answer.sentBeforeAnswer).toBeLessThan(bytes);
  });
});
