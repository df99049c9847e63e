// `meridian restore --at` and `meridian snapshots --at` as clients of the test Temporal server with a
// `meridian worker`: a tree backed up with `backup --time`, then changed in three journal segments
// (written with writeJournalSegment, one minute each, a reference copy of the tree kept after each);
// restores at times inside each minute equal the tree as of the newest segment ended by then,
// snapshots --at names the snapshot and segments, and a time before the first snapshot is a one-line
// error naming the covered interval.

import fs from 'node:fs';
import path from 'node:path';
import { writeJournalSegment } from '../../core/journal';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { describeTree, expectSameTree, pseudoRandomBytes, tempDir, writeTree } from '../helpers/trees';

const PASS = 'restore-at passphrase';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const MINUTE = 60_000;

let work: string;
let repoDir: string;
let source: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;
let snapshotId: string;
/** states[k]: the tree as of T0 + k minutes (0: the snapshot, k ≥ 1: after segment k). */
const states: ReturnType<typeof describeTree>[] = [];

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  work = tempDir('cli-restore-at');
  repoDir = path.join(work, 'repo');
  source = path.join(work, 'source');
  writeTree(source, { smallFiles: 6 });
  env = meridianEnv(work, 'cli-restore-at', PASS, [repoDir]);
  worker = await startMeridianWorker(env);
  expect((await meridian('init', '--repo', repoDir)).code).toBe(0);
  snapshotId = json<{ snapshotId: string }>(await meridian('backup', source, '--repo', repoDir, '--time', iso(T0), '--json')).snapshotId;
  const host = json<{ host: string }[]>(await meridian('snapshots', '--repo', repoDir, '--json'))[0]!.host;
  states.push(describeTree(source));
  const repo = await Repository.open(new LocalStorage(repoDir), PASS);
  const edits: (() => { changed: string[]; deleted: string[] })[] = [
    () => {
      fs.writeFileSync(path.join(source, 'added.bin'), pseudoRandomBytes(200_000, 1));
      return { changed: ['added.bin'], deleted: [] };
    },
    () => {
      fs.mkdirSync(path.join(source, 'newdir'));
      fs.writeFileSync(path.join(source, 'newdir', 'inner.txt'), 'inner');
      fs.writeFileSync(path.join(source, 'added.bin'), pseudoRandomBytes(150_000, 2));
      return { changed: ['newdir', 'newdir/inner.txt', 'added.bin'], deleted: [] };
    },
    () => {
      fs.rmSync(path.join(source, 'added.bin'));
      return { changed: [], deleted: ['added.bin'] };
    },
  ];
  for (const [k, edit] of edits.entries()) {
    const { changed, deleted } = edit();
    await writeJournalSegment(repo, { source, host, changed, deleted, from: new Date(T0 + k * MINUTE), until: new Date(T0 + (k + 1) * MINUTE) });
    states.push(describeTree(source));
  }
}, 180_000);

afterAll(async () => {
  await worker?.stop('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

it('restore --at restores the tree as it was at each time', async () => {
  for (const [at, k] of [[T0 + 20_000, 0], [T0 + MINUTE, 1], [T0 + 2 * MINUTE + 30_000, 2], [T0 + 3 * MINUTE, 3]] as const) {
    const target = path.join(work, `restored-${at}`);
    const run = await meridian('restore', '--at', iso(at), '--source', source, '--target', target, '--repo', repoDir, '--json');
    expect(run.stderr).toBe('');
    const result = json<{ snapshotId: string; segments: number; at: string }>(run);
    expect(result).toMatchObject({ snapshotId, segments: k, at: iso(at) });
    expectSameTree(states[k]!, target);
  }
}, 180_000);

it('snapshots --at names the snapshot and the segments', async () => {
  const plan = json<{ at: string; snapshot: { id: string }; segments: { from: string; until: string; changed: number; deleted: number }[]; covered: { from: string; until: string } }>(
    await meridian('snapshots', '--at', iso(T0 + 2 * MINUTE + 1), '--source', source, '--repo', repoDir, '--json'),
  );
  expect(plan.snapshot.id).toBe(snapshotId);
  expect(plan.segments.map((s) => [s.from, s.until, s.changed, s.deleted])).toEqual([
    [iso(T0), iso(T0 + MINUTE), 1, 0],
    [iso(T0 + MINUTE), iso(T0 + 2 * MINUTE), 3, 0],
  ]);
  expect(plan.covered).toEqual({ from: iso(T0), until: iso(T0 + 3 * MINUTE) });
});

it('a time before the first snapshot is a one-line error naming the covered interval', async () => {
  const target = path.join(work, 'restored-too-early');
  const run = await meridian('restore', '--at', iso(T0 - 1000), '--source', source, '--target', target, '--repo', repoDir);
  expect(run.code).not.toBe(0);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`before the first snapshot`);
  expect(lines[0]).toContain(`restorable from ${iso(T0)} until ${iso(T0 + 3 * MINUTE)}`);
  expect(fs.existsSync(path.join(target, 'added.bin'))).toBe(false);
  const plan = await meridian('snapshots', '--at', iso(T0 + 3 * MINUTE + 1000), '--source', source, '--repo', repoDir);
  expect(plan.code).not.toBe(0);
  expect(plan.stderr.trim().split('\n')).toEqual([expect.stringContaining('after the newest recorded change')]);
});
