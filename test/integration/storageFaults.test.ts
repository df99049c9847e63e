// Storage faults through the Temporal workflows, with the repository on the real S3 server
// (SeaweedFS) behind the fault-injecting TCP proxy: backups complete and verify clean while a
// share of connections is reset, stalled or answered 500; with the backend down, the backup
// keeps retrying, says the storage is unreachable and never completes until it is back; an S3
// SlowDown with Retry-After is waited out for as long as it asks.

import { startOperation, describeOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { Storage } from '../../storage/storage';
import { BackupOutput, RestoreOutput, VerifyOutput } from '../../workflows/shared';
import { FaultMode, FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { useTemporalWorker } from '../helpers/meridianWorker';
import { expectSameTree, tempDir, writeTree } from '../helpers/trees';

const PASS = 'storage faults passphrase';
const BUCKET = 'meridian-faults';
/** Small packs and chunks: many requests for a few MB. */
const INIT = { packSizeMiB: 1, chunker: { min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 } };
const setup = useTemporalWorker(PASS);
const proxies: FaultProxy[] = [];

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

/** The S3 server started by the integration project's global setup. */
function s3Endpoint(): URL {
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts the S3 server.');
  return new URL(endpoint);
}

function repoUrl(endpoint: string, prefix: string): string {
  return `s3://${BUCKET}/${prefix}?endpoint=${endpoint}&pathStyle=true&region=us-east-1`;
}

async function proxyToS3(options: { failShare: number; random?: () => number; modes?: FaultMode[]; retryAfter?: string }): Promise<FaultProxy> {
  const server = s3Endpoint();
  const proxy = await startFaultProxy({ target: { host: server.hostname, port: Number(server.port) }, stallMs: 2000, ...options });
  proxies.push(proxy);
  return proxy;
}

/** A seeded PRNG (mulberry32), so the faults are the same from run to run for the same traffic. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

async function initRepo(url: string): Promise<void> {
  const storage = await openStorage(url);
  await Repository.init(storage, PASS, INIT);
  await storage.close();
}

async function hasDataPack(storage: Storage): Promise<boolean> {
  for await (const _ of storage.list('data')) return true;
  return false;
}

async function verifyDeep(repo: string): Promise<void> {
  const verified: VerifyOutput = await (await startOperation(setup.t.client, 'verify', { repo, level: 'deep' }, setup.worker.taskQueue)).result();
  expect(verified).toMatchObject({ ok: true, problems: [] });
}

async function restoreAndCompare(repo: string, snapshot: string, source: string): Promise<void> {
  const target = tempDir('faults-dst');
  const restored: RestoreOutput = await (await startOperation(setup.t.client, 'restore', { repo, snapshot, target }, setup.worker.taskQueue)).result();
  expect(restored.snapshotId).toBe(snapshot);
  expectSameTree(source, target);
}

test('an S3 SlowDown answered with Retry-After: 2 is retried no sooner than 2 s later, and the call then succeeds', async () => {
  // The first connection is throttled, every later one reaches SeaweedFS.
  const draws = [0, 0];
  const proxy = await proxyToS3({ failShare: 0.5, modes: ['slowDown'], retryAfter: '2', random: () => draws.shift() ?? 0.99 });
  const direct = await openStorage(repoUrl(s3Endpoint().origin, 'slowdown'));
  await direct.createLocation!();
  await direct.close();
  const storage = await openStorage(repoUrl(proxy.url, `slowdown-${Date.now()}`));
  try {
    const started = Date.now();
    await storage.put({ type: 'config', name: 'config' }, Buffer.from('after the throttle'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(proxy.counts).toMatchObject({ slowDown: 1, failed: 1 });
    expect(Buffer.from(await storage.get({ type: 'config', name: 'config' })).toString()).toBe('after the throttle');
  } finally {
    await storage.close();
  }
});

test('with a quarter of connections reset, stalled or answered 500, a backup completes, verifies clean and restores exactly', async () => {
  // With seed 4 the 3rd, 4th and 5th connections fail: reset, stall, then http500. The backup
  // opens at least three, and each failure makes the retry open the next one.
  const proxy = await proxyToS3({ failShare: 0.25, random: seeded(4) });
  const prefix = `flaky-${Date.now()}`;
  const viaProxy = repoUrl(proxy.url, prefix);
  await initRepo(repoUrl(s3Endpoint().origin, prefix)); // not through the proxy: its first faults land in the backup
  const source = tempDir('faults-src');
  writeTree(source, { smallFiles: 300, largeFiles: [2 * 1024 * 1024, 1536 * 1024, 1024 * 1024] });

  const run = await startOperation(setup.t.client, 'backup', { repo: viaProxy, path: source, type: 'full' }, setup.worker.taskQueue);
  const backup: BackupOutput = await run.result();
  expect(backup).toMatchObject({ type: 'full', filesNew: 305 });
  // The faults were absorbed by the storage-level retries: one activity attempt, no activity retry.
  expect(proxy.counts.failed).toBeGreaterThan(0);
  const attempts = ((await run.fetchHistory()).events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
  expect(attempts).toEqual([1]);
  await restoreAndCompare(viaProxy, backup.snapshotId, source);
  await verifyDeep(repoUrl(s3Endpoint().origin, prefix)); // what the server holds, without the proxy
  expect(Math.min(proxy.counts.reset, proxy.counts.stall, proxy.counts.http500)).toBeGreaterThan(0);
});

test('with the backend down, a backup keeps retrying and says the storage is unreachable; it completes once the backend is back', async () => {
  const proxy = await proxyToS3({ failShare: 0 });
  const prefix = `down-${Date.now()}`;
  const viaProxy = repoUrl(proxy.url, prefix);
  const direct = repoUrl(s3Endpoint().origin, prefix);
  await initRepo(viaProxy);
  const source = tempDir('faults-src');
  writeTree(source, { smallFiles: 300, largeFiles: [12 * 1024 * 1024, 12 * 1024 * 1024] });

  // Take the backend down once the backup has stored its first pack.
  const run = await startOperation(setup.t.client, 'backup', { repo: viaProxy, path: source, type: 'full' }, setup.worker.taskQueue);
  const server = await openStorage(direct);
  for (const started = Date.now(); !(await hasDataPack(server)); ) {
    if (Date.now() - started > 60_000) throw new Error('the backup stored no pack within a minute');
    await new Promise((r) => setTimeout(r, 50));
  }
  await server.close();
  proxy.setDown(true);

  // A failed activity attempt, retried by Temporal; the operation reports why and is not done.
  let progress: { activityAttempt?: number; lastFailure?: string } = {};
  for (const started = Date.now(); (progress.activityAttempt ?? 1) <= 1; ) {
    if (Date.now() - started > 20_000) throw new Error(`no second activity attempt within 20 s: ${JSON.stringify(progress)}`);
    await new Promise((r) => setTimeout(r, 250));
    const view = await describeOperation(setup.t.client, run.workflowId);
    expect(view.status).toBe('running');
    progress = (view.progress ?? {}) as typeof progress;
  }
  // activities/failures.ts prefixes the S3 backend's message for a transient error.
  expect(progress.lastFailure).toMatch(/^storage unreachable: \[storage:s3\] bucket "meridian-faults" is unreachable or failing at http:\/\/127\.0\.0\.1:\d+: /);
  expect(proxy.counts.down).toBeGreaterThan(0);

  proxy.setDown(false);
  const backup: BackupOutput = await run.result();
  expect(backup).toMatchObject({ type: 'full', filesNew: 304 });
  await verifyDeep(direct);
  await restoreAndCompare(viaProxy, backup.snapshotId, source);
});
