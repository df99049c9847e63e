// `meridian forget` and `meridian prune` as clients of the test Temporal server with a `meridian
// worker`: snapshots made with `backup --time` on five days (each with data of its own), a dry run
// that removes nothing, the --json document, a policy applied (its human table), a snapshot
// forgotten by id prefix, prune --dry-run that changes nothing, forget --prune that frees the
// data of the snapshots it forgets (the repository then verifies clean), prune --json, and a
// second prune refused while one runs.

import { readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOperation } from '../../api/operations';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { testConnection, uniqueTaskQueue } from '../helpers/temporal';
import { pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

let work: string;
let repo: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;
/** Snapshot ids by day, 2026-11-01 … 2026-11-05 (12:00 UTC), oldest first. */
const byDay: string[] = [];

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });
const snapshotIds = async () => json<{ id: string }[]>(await meridian('snapshots', '--repo', repo, '--json')).map((s) => s.id);

interface ForgetJson {
  groups: { key: Record<string, unknown>; keep: { id: string; time: string; reasons: string[] }[]; remove: { id: string; time: string }[]; kept: number; removed: number }[];
  workflowId: string;
  dryRun: boolean;
  kept: number;
  removed: number;
  truncated: number;
}

beforeAll(async () => {
  work = tempDir('cli-forget');
  repo = path.join(work, 'repo');
  writeTree(path.join(work, 'source'), { smallFiles: 5 });
  env = meridianEnv(work, 'cli-forget', 'forget passphrase', [repo]);
  worker = await startMeridianWorker(env);
  expect((await meridian('init', '--repo', repo)).code).toBe(0);
  for (let day = 1; day <= 5; day++) {
    // Mixed zones: the times are stored in UTC.
    const time = day % 2 ? `2026-11-0${day}T12:00:00Z` : `2026-11-0${day}T13:00:00+01:00`;
    if (day > 1) unlinkSync(path.join(work, 'source', `day-${day - 1}.bin`));
    writeFileSync(path.join(work, 'source', `day-${day}.bin`), pseudoRandomBytes(400_000, day));
    byDay.push(json<{ snapshotId: string }>(await meridian('backup', 'source', '--repo', repo, '--time', time, '--json')).snapshotId);
  }
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

it('backup --time records the given times', async () => {
  const listed = json<{ id: string; time: string }[]>(await meridian('snapshots', '--repo', repo, '--json'));
  expect(listed.map((s) => [s.id, s.time])).toEqual(byDay.map((id, i) => [id, `2026-11-0${i + 1}T12:00:00.000Z`]));
});

it('forget --dry-run --json says what a policy would remove and removes nothing', async () => {
  const result = json<ForgetJson>(await meridian('forget', '--repo', repo, '--keep-daily', '2', '--timezone', 'UTC', '--dry-run', '--json'));
  expect(Object.keys(result).sort()).toEqual(['dryRun', 'groups', 'kept', 'removed', 'truncated', 'workflowId']);
  expect(result).toMatchObject({ dryRun: true, kept: 2, removed: 3, truncated: 0, workflowId: expect.stringMatching(new RegExp(`^forget:${repo}:policy:`)) });
  expect(result.groups).toEqual([
    {
      key: { host: expect.any(String), source: path.join(work, 'source') },
      keep: [
        { id: byDay[4], time: '2026-11-05T12:00:00.000Z', reasons: ['daily snapshot'] },
        { id: byDay[3], time: '2026-11-04T12:00:00.000Z', reasons: ['daily snapshot'] },
      ],
      remove: [2, 1, 0].map((i) => ({ id: byDay[i], time: `2026-11-0${i + 1}T12:00:00.000Z` })),
      kept: 2,
      removed: 3,
    },
  ]);
  expect((await snapshotIds()).sort()).toEqual([...byDay].sort());
});

it('forget with a policy prints each group, kept with reasons and removed, and deletes', async () => {
  const run = await meridian('forget', '--repo', repo, '--keep-last', '1', '--keep-within', '3d', '--timezone', 'UTC');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  const lines = run.stdout.split('\n');
  expect(lines[0]).toMatch(new RegExp(`^keep 3 snapshots of host .*, source ${path.join(work, 'source')}:$`));
  expect(lines[1]).toMatch(/^ {2}ID +TIME +REASONS$/);
  expect(lines[2]).toMatch(new RegExp(`^  ${byDay[4]!.slice(0, 8)}  \\S+ \\S+  within 3d, last snapshot$`));
  expect(run.stdout).toMatch(/\nremove 2 snapshots of host /);
  expect(lines.at(-2)).toBe('forgot 2 snapshots, kept 3');
  expect((await snapshotIds()).sort()).toEqual(byDay.slice(2).sort());
});

it('forget ID removes exactly that snapshot (by a unique prefix)', async () => {
  const result = json<ForgetJson>(await meridian('forget', '--repo', repo, byDay[2]!.slice(0, 10), '--json'));
  expect(result).toMatchObject({ dryRun: false, kept: 0, removed: 1, groups: [{ key: {}, keep: [], remove: [{ id: byDay[2] }] }] });
  expect((await snapshotIds()).sort()).toEqual(byDay.slice(3).sort());
});

interface PruneJson {
  workflowId: string;
  dryRun: boolean;
  packs: { deleted: number; repacked: number; kept: number; written: number };
  bytes: { deleted: number; repacked: number; kept: number; written: number; freed: number };
  indexFiles: { before: number; after: number };
}

/** Every file under the repository's data/ folder. */
const packFiles = () => readdirSync(path.join(repo, 'data'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();

it('prune --dry-run --json reports what it would free and changes nothing', async () => {
  const before = packFiles();
  const result = json<PruneJson>(await meridian('prune', '--repo', repo, '--dry-run', '--json'));
  expect(result).toMatchObject({ dryRun: true, workflowId: `prune:${repo}` });
  expect(result.bytes.freed).toBeGreaterThan(3 * 400_000 * 0.9); // the day files of the three snapshots forgotten
  expect(packFiles()).toEqual(before);
});

it('forget --prune forgets, then prunes in the same workflow, and the repository verifies clean', async () => {
  const run = await meridian('forget', '--repo', repo, '--keep-last', '1', '--prune', '--max-unused', '0');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toMatch(/\nforgot 1 snapshot, kept 1\npruned: deleted \d+ packs?, repacked \d+ \(into \d+ new packs?\), kept \d+; [\d.]+ (KiB|MiB) freed\n/);
  expect(await snapshotIds()).toEqual([byDay[4]]);
  const verified = json<{ ok: boolean }>(await meridian('verify', '--repo', repo, '--level', 'deep', '--json'));
  expect(verified.ok).toBe(true);
});

it('prune --json after it finds no pack left without a used blob', async () => {
  const result = json<PruneJson>(await meridian('prune', '--repo', repo, '--max-unused', '0', '--json'));
  expect(Object.keys(result)).toEqual(expect.arrayContaining(['workflowId', 'dryRun', 'packs', 'bytes', 'indexFiles', 'durationMs']));
  expect(result).toMatchObject({ workflowId: `prune:${repo}`, dryRun: false, packs: { deleted: 0 } });
  // Once small packs are merged, a prune more has nothing to do (and writes no plan).
  const again = json<PruneJson & { planId: string | null }>(await meridian('prune', '--repo', repo, '--max-unused', '0', '--json'));
  expect(again).toMatchObject({ planId: null, packs: { deleted: 0, repacked: 0, written: 0 }, bytes: { freed: 0 } });
});

it('forget --prune --dry-run --json carries the prune dry run, and changes nothing', async () => {
  const before = packFiles();
  const result = json<ForgetJson & { prune: PruneJson }>(await meridian('forget', '--repo', repo, '--keep-last', '1', '--prune', '--dry-run', '--json'));
  expect(result).toMatchObject({ dryRun: true, kept: 1, removed: 0, prune: { dryRun: true, packs: { deleted: 0 } } });
  expect(packFiles()).toEqual(before);
});

it('a second prune of the repository exits 1 with one line naming the running one', async () => {
  const t = await testConnection();
  try {
    const running = await startOperation(t.client, 'prune', { repo }, uniqueTaskQueue('nobody'));
    const run = await meridian('prune', '--repo', repo);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(new RegExp(`^meridian: a prune of this repository is already running \\(workflow prune:${repo}\\); [^\\n]*\\n$`));
    await running.terminate('test over');
  } finally {
    await t.close();
  }
});
