// The CLI and a real `meridian worker` (dist/) on the test Temporal server, both configured by a
// meridian.yaml outside MERIDIAN_HOME: `--config FILE --repo NAME` initialises the repository,
// backs a source up through the worker (which resolves the name, reads the passphrase file the
// file names and admits the source's path by its own MERIDIAN_CONFIG, with no roots in its
// environment) and lists the snapshot. The environment's MERIDIAN_PASSWORD is wrong on purpose:
// only the file's passwordFile opens the repository. A configuration error exits 2 with one line.

import fs from 'node:fs';
import path from 'node:path';
import { meridianEnv, MeridianWorkerProcess, parseJson, runMeridian, startMeridianWorker } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';

const PASS = 'the passphrase in the file meridian.yaml names';

let work: string;
let config: string;
let tiles: string;
let env: NodeJS.ProcessEnv;
let worker: MeridianWorkerProcess;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 90_000 });

beforeAll(async () => {
  work = tempDir('cli-config');
  tiles = path.join(work, 'data', 'tiles');
  for (const [name, text] of Object.entries({ 'z12/x1/y1.png': 'tile one', 'z12/x1/y2.png': 'tile two', 'index.json': '{"zoom": 12}' })) {
    fs.mkdirSync(path.dirname(path.join(tiles, name)), { recursive: true });
    fs.writeFileSync(path.join(tiles, name), text);
  }
  fs.mkdirSync(path.join(work, 'etc'));
  config = path.join(work, 'etc', 'meridian.yaml');
  fs.writeFileSync(path.join(work, 'etc', 'gis.pass'), `${PASS}\n`);
  fs.writeFileSync(
    config,
    [
      '# relative paths are taken from this file\'s directory',
      'repositories:',
      '  gis:',
      '    url: ../repo',
      '    passwordFile: gis.pass',
      'sources:',
      '  tiles:',
      '    path: ../data/tiles',
      '    repository: gis',
      '',
    ].join('\n'),
  );
  const { MERIDIAN_SOURCE_ROOTS: _s, MERIDIAN_RESTORE_ROOTS: _r, ...base } = meridianEnv(work, 'cli-config', 'not the passphrase');
  env = base;
  fs.rmSync(path.join(work, 'home', 'repositories.json'));
  worker = await startMeridianWorker({ ...env, MERIDIAN_CONFIG: config });
  expect(worker.log()).toContain(`meridian: worker serving 1 repository (${config}); backups from ${tiles}; restores into no path\n`);
});

afterAll(async () => {
  await worker?.stop('SIGTERM');
});

test('init, backup and snapshots with --config FILE --repo NAME, through the worker', async () => {
  const init = await meridian('init', '--config', config, '--repo', 'gis');
  expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: '' });
  expect(init.stdout).toMatch(/^created an encrypted repository [0-9a-f]+ at gis /);
  expect(fs.existsSync(path.join(work, 'repo', 'config'))).toBe(true);

  const backup = parseJson<{ workflowId: string; snapshotId: string; filesNew: number }>(await meridian('backup', tiles, '--config', config, '--repo', 'gis', '--json', '-q'));
  expect(backup.workflowId).toMatch(new RegExp(`^backup:gis:${tiles}:`));
  expect(backup.filesNew).toBe(3);

  const snapshots = parseJson<{ id: string; source: string }[]>(await meridian('snapshots', '--config', config, '--repo', 'gis', '--json'));
  expect(snapshots.map((s) => ({ id: s.id, source: s.source }))).toEqual([{ id: backup.snapshotId, source: tiles }]);

  // Without the file, the name means nothing here.
  const unknown = await meridian('snapshots', '--repo', 'gis', '--json');
  expect(unknown.code).toBe(2);
});

test('a configuration error, or a missing --config file, exits 2 with one line naming FILE:LINE and the key', async () => {
  const bad = path.join(work, 'etc', 'bad.yaml');
  fs.writeFileSync(bad, `${fs.readFileSync(config, 'utf8')}schedules:\n  tiles-hourly:\n    source: tile\n    template: hourly\n`);
  const run = await meridian('backup', tiles, '--config', bad, '--repo', 'gis');
  expect(run).toEqual({ code: 2, stdout: '', stderr: `meridian: ${bad}:12: schedules.tiles-hourly.source: no source named "tile" in sources (known: tiles)\n` });
  const missing = await meridian('snapshots', '--config', path.join(work, 'etc', 'missing.yaml'), '--repo', 'gis');
  expect(missing).toEqual({ code: 2, stdout: '', stderr: `meridian: cannot read configuration file ${path.join(work, 'etc', 'missing.yaml')}: ENOENT\n` });
});
