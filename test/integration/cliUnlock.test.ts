// `meridian unlock` as a client of the test Temporal server with a `meridian worker` (lock timings
// from its environment, short), on a local repository and on one in S3 (SeaweedFS): the lock of a
// killed process is removed, a live one is kept, --force removes every lock, prune plans stay;
// --json lists the locks with operation, host and age; usage and repository errors exit 2 and 3.
// Also on S3: two exclusive lock acquirers racing, exactly one wins.

import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock, HeldLock } from '../../core/locks';
import { jsonBytes, Repository } from '../../core/repository';
import { openStorage } from '../../storage/open';
import { LockHolderProcess, startLockHolder } from '../helpers/lockHolder';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';

const PASS = 'unlock passphrase';
const REFRESH_SECONDS = 0.5;
const STALE_SECONDS = 2;

let work: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;
const localRepo = () => path.join(work, 'repo');
const notARepo = () => path.join(work, 'empty');

function s3Url(prefix: string): string {
  const endpoint = process.env.MERIDIAN_TEST_S3_ENDPOINT;
  if (!endpoint) throw new Error('MERIDIAN_TEST_S3_ENDPOINT is not set: run integration tests through jest, whose global setup starts SeaweedFS.');
  return `s3://meridian-unlock-${process.pid}/${prefix}?endpoint=${endpoint}&pathStyle=true&region=us-east-1`;
}
const s3Repo = s3Url('repo');

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

interface UnlockJson {
  workflowId: string;
  force: boolean;
  removed: { id: string; operation: string; host: string; pid: number; exclusive: boolean; refreshedAt: string; ageSeconds: number; reason: string }[];
  kept: { id: string; operation: string; host: string; reason: string }[];
  removedCount: number;
  keptCount: number;
  durationMs: number;
}

beforeAll(async () => {
  work = tempDir('cli-unlock');
  env = {
    ...meridianEnv(work, 'cli-unlock', PASS, [localRepo(), notARepo(), s3Repo]),
    MERIDIAN_LOCK_REFRESH_SECONDS: String(REFRESH_SECONDS),
    MERIDIAN_LOCK_STALE_SECONDS: String(STALE_SECONDS),
  };
  worker = await startMeridianWorker(env);
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
});

async function withRepository<T>(url: string, use: (repo: Repository) => Promise<T>): Promise<T> {
  const storage = await openStorage(url);
  try {
    return await use(await Repository.open(storage, PASS));
  } finally {
    await storage.close();
  }
}

const lockNames = (url: string) =>
  withRepository(url, async (repo) => {
    const names: string[] = [];
    for await (const entry of repo.storage.list('locks')) names.push(entry.name);
    return names.sort();
  });

describe.each([
  ['a local repository', localRepo],
  ['a repository in S3', () => s3Repo],
])('meridian unlock on %s', (_where, repoUrl) => {
  let dead: LockHolderProcess;
  let live: LockHolderProcess;
  const plan = 'e'.repeat(64);

  beforeAll(async () => {
    expect((await meridian('init', '--repo', repoUrl())).code).toBe(0);
    const holder = { REPO: repoUrl(), PASSPHRASE: PASS, REFRESH_MS: String(REFRESH_SECONDS * 1000) };
    dead = await startLockHolder({ ...holder, OPERATION: 'backup' });
    await dead.kill();
    live = await startLockHolder({ ...holder, OPERATION: 'verify' });
    await withRepository(repoUrl(), (repo) => repo.storage.put({ type: 'locks', name: plan }, repo.sealFile(jsonBytes({ kind: 'prune-plan', state: 'marked' }))));
    // The killed holder's last refresh must look older than the stale age to this machine's clock.
    await sleep(STALE_SECONDS * 1000 + 500);
  });

  afterAll(async () => {
    await live?.kill();
  });

  it('--json: removes the lock of the killed process, keeps the live one and the prune plan', async () => {
    const result = json<UnlockJson>(await meridian('unlock', '--repo', repoUrl(), '--json'));
    expect(Object.keys(result).sort()).toEqual(['durationMs', 'force', 'kept', 'keptCount', 'removed', 'removedCount', 'workflowId']);
    expect(result).toMatchObject({ force: false, removedCount: 1, keptCount: 1, workflowId: expect.stringMatching(/^unlock:.*:stale:/) });
    expect(result.removed).toEqual([
      {
        id: dead.lockId,
        operation: 'backup',
        host: os.hostname(),
        pid: expect.any(Number),
        exclusive: false,
        refreshedAt: expect.any(String),
        ageSeconds: expect.any(Number),
        reason: `not refreshed for ${2 * REFRESH_SECONDS} s of watching`,
      },
    ]);
    expect(result.removed[0]!.ageSeconds).toBeGreaterThanOrEqual(STALE_SECONDS);
    expect(result.kept).toEqual([expect.objectContaining({ id: live.lockId, operation: 'verify', host: os.hostname(), reason: `refreshed within ${STALE_SECONDS} s` })]);
    expect(await lockNames(repoUrl())).toEqual([live.lockId, plan].sort());
  });

  it('says in lines which locks it kept', async () => {
    const run = await meridian('unlock', '--repo', repoUrl());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`kept: ${live.lockId.slice(0, 8)}`);
    expect(run.stdout).toContain(`verify on ${os.hostname()}`);
    expect(run.stdout).toMatch(/removed 0 locks, kept 1\n$/);
  });

  it('--force removes the live lock too, never the plan', async () => {
    const result = json<UnlockJson>(await meridian('unlock', '--repo', repoUrl(), '--force', '--json'));
    expect(result).toMatchObject({ force: true, removedCount: 1, keptCount: 0, kept: [] });
    expect(result.removed.map((l) => [l.id, l.reason])).toEqual([[live.lockId, 'forced']]);
    expect(await lockNames(repoUrl())).toEqual([plan]);
  });
});

describe('meridian unlock errors', () => {
  it('an unexpected argument exits 2, a path that holds no repository exits 3, each with one line', async () => {
    const usage = await meridian('unlock', 'now', '--repo', localRepo());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^meridian: unexpected argument 'now'; see 'meridian help unlock'\n$/);
    const missing = await meridian('unlock', '--repo', notARepo(), '--json');
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stderr)).toMatchObject({ error: { code: 'not_a_repository', exitCode: 3 } });
  });
});

describe('exclusive locks in S3', () => {
  it('of two acquirers racing, exactly one wins', async () => {
    const url = s3Url('race');
    const storage = await openStorage(url);
    try {
      const repo = await Repository.init(storage, PASS);
      const other = await Repository.open(await openStorage(url), PASS);
      const timings = { refreshMs: 500, staleMs: 2000 };
      const results = await Promise.allSettled([
        acquireLock(repo, { operation: 'prune', exclusive: true, timings }),
        acquireLock(other, { operation: 'prune', exclusive: true, timings }),
      ]);
      const won = results.filter((r): r is PromiseFulfilledResult<HeldLock> => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason)).toContain('another prune or repair is running');
      expect(await lockNames(url)).toEqual([won[0]!.value.id]);
      await won[0]!.value.release();
      await other.storage.close();
    } finally {
      await storage.close();
    }
  });
});
