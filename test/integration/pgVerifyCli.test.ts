// `meridian pg verify` as a client of the test Temporal server with a `meridian worker`, no PostgreSQL
// needed: 1 MiB WAL segments stored with pushWal and a base backup snapshot carrying the `pg` field
// of a backup starting at segment 3. The whole chain: exit 0; a deleted segment: exit 1 naming it;
// retention (dry run, then for real) deletes exactly the segments before the base backup's start.

import fs from 'node:fs';
import path from 'node:path';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { deleteWal, listWal, pushWal } from '../../core/walArchive';
import { LocalStorage } from '../../storage/local';
import { meridianEnv, MeridianWorkerProcess, parseJson as json, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { tempDir, writeTree } from '../helpers/trees';

const PASS = 'pg verify passphrase';
const segment = (n: number) => `00000001000000000000000${n.toString(16).toUpperCase()}`;

let work: string;
let repoDir: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;
let repo: Repository;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });
/** The --json report of a run that found a gap: exit 1, nothing on stderr. */
const withGap = (run: Awaited<ReturnType<typeof meridian>>) => {
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: '' });
  return JSON.parse(run.stdout) as Report;
};
type Report = { ok: boolean; baseBackups: number; newest: string; gaps: { after: string; missing: string; through?: string }[]; deleted?: string[]; deletedCount?: number };

beforeAll(async () => {
  work = tempDir('cli-pg-verify');
  repoDir = path.join(work, 'repo');
  const pgdata = path.join(work, 'pgdata');
  writeTree(pgdata, { smallFiles: 3 });
  env = meridianEnv(work, 'cli-pg-verify', PASS, [repoDir]);
  worker = await startMeridianWorker(env);
  expect((await meridian('init', '--repo', repoDir)).code).toBe(0);
  repo = await Repository.open(new LocalStorage(repoDir), PASS);
  const at = new Date().toISOString();
  const info = { cluster: 'main', systemIdentifier: '7300000000000000001', pgVersion: 15, timeline: 1, walSegmentSize: 1 << 20, startWal: segment(3), startLsn: '0/300028', stopWal: segment(3), stopLsn: '0/300100', startTime: at, stopTime: at };
  await backup(repo, { source: pgdata, sourceName: 'pg:main', pg: info, type: 'full', tags: ['pg-base-backup'] });
  for (let n = 1; n <= 7; n++) await pushWal(repo, { cluster: 'main', walName: segment(n), bytes: new Uint8Array(1 << 20).fill(n) });
});

afterAll(async () => {
  await worker?.stop('SIGKILL');
  fs.rmSync(work, { recursive: true, force: true });
});

it('finds no gap in a whole chain, reports a deleted segment by name, and retention deletes only what no base backup needs', async () => {
  const whole = await meridian('pg', 'verify', '--repo', repoDir, '--json');
  expect(whole.code).toBe(0);
  expect(json<Report>(whole)).toMatchObject({ ok: true, baseBackups: 1, newest: segment(7), gaps: [] });

  await deleteWal(repo, { cluster: 'main', walName: segment(5) });
  const broken = await meridian('pg', 'verify', '--repo', repoDir);
  expect(broken.code).toBe(1);
  expect(broken.stdout).toContain(`missing ${segment(5)} (after ${segment(4)})`);

  const dryRun = withGap(await meridian('pg', 'verify', '--repo', repoDir, '--retention', '--dry-run', '--json'));
  expect(dryRun.deleted).toEqual([segment(1), segment(2)]);
  expect((await listWal(repo, 'main')).length).toBe(6);
  const pruned = withGap(await meridian('pg', 'verify', '--repo', repoDir, '--retention', '--json'));
  expect(pruned).toMatchObject({ ok: false, gaps: [{ after: segment(4), missing: segment(5) }], deleted: [segment(1), segment(2)], deletedCount: 2 });
  expect((await listWal(repo, 'main')).map((w) => w.walName).sort()).toEqual([3, 4, 6, 7].map(segment));
});
