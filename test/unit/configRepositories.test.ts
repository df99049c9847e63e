// Repositories by name from meridian.yaml and from repositories.json (both read; a name in both is
// an error naming both files), passphrases by passwordEnv, secrets checked when a worker starts,
// the sources of the worker's own meridian.yaml admitted as backup sources, append-only roles, and
// its start-up line.

import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/load';
import { RepositoryError } from '../../core/errors';
import { configuredAuthority } from '../../worker/authority';
import { passphraseFor } from '../../worker/passphrases';
import { commandRepository, describeWorkerConfig, loadWorkerConfig } from '../../worker/workerConfig';
import { tempDir } from '../helpers/trees';

let work: string;
let home: string;
let config: string;

const YAML = (extra = '') => `repositories:
  tiles:
    url: repos/tiles
    passwordEnv: TILES_PASSPHRASE
  rasters:
    url: s3://gis/rasters?region=eu-west-1
    passwordFile: rasters.pass
sources:
  tiles:
    path: data/tiles
    repository: tiles
${extra}`;

beforeEach(() => {
  work = tempDir('config-repositories');
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(work, 'etc'), { recursive: true });
  fs.mkdirSync(home);
  config = path.join(work, 'etc', 'meridian.yaml');
  fs.writeFileSync(config, YAML());
  fs.writeFileSync(path.join(work, 'etc', 'rasters.pass'), 'raster secret\n');
});

const env = (more: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ MERIDIAN_HOME: home, MERIDIAN_CONFIG: config, TILES_PASSPHRASE: 'tiles secret', ...more });
const writeJson = (json: object) => fs.writeFileSync(path.join(home, 'repositories.json'), JSON.stringify(json));

function errorOf(fn: () => unknown): RepositoryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RepositoryError);
    return err as RepositoryError;
  }
  throw new Error('no error');
}

test('a name resolves through meridian.yaml (relative URLs from its directory), another through repositories.json', () => {
  writeJson({ archive: { url: path.join(work, 'archive') } });
  expect(commandRepository('tiles', env())).toMatchObject({ name: 'tiles', url: path.join(work, 'etc', 'repos', 'tiles'), passwordEnv: 'TILES_PASSPHRASE' });
  expect(commandRepository('rasters', env())).toMatchObject({ passwordFile: path.join(work, 'etc', 'rasters.pass') });
  expect(commandRepository('archive', env()).url).toBe(path.join(work, 'archive'));
  expect(errorOf(() => commandRepository('nowhere', env())).message).toBe(
    `unknown repository name "nowhere": it is neither in the repositories of ${config} nor in ${path.join(home, 'repositories.json')}`,
  );
});

test('without MERIDIAN_CONFIG (or with it empty) the file is $MERIDIAN_HOME/meridian.yaml, which may be absent; a named file must exist', () => {
  expect(loadConfig(undefined, { MERIDIAN_HOME: home })).toBeUndefined();
  fs.copyFileSync(config, path.join(home, 'meridian.yaml'));
  expect(commandRepository('tiles', { MERIDIAN_HOME: home }).url).toBe(path.join(home, 'repos', 'tiles'));
  expect(commandRepository('tiles', { MERIDIAN_HOME: home, MERIDIAN_CONFIG: '' }).url).toBe(path.join(home, 'repos', 'tiles'));
  const missing = path.join(work, 'missing.yaml');
  expect(errorOf(() => commandRepository('tiles', { MERIDIAN_HOME: home, MERIDIAN_CONFIG: missing })).message).toBe(`cannot read configuration file ${missing}: ENOENT`);
});

test('a name defined in both files is an error naming both', () => {
  writeJson({ tiles: { url: path.join(work, 'other') } });
  const error = errorOf(() => loadWorkerConfig(env()));
  expect(error.code).toBe('invalid-argument');
  expect(error.message).toBe(`repository "tiles" is defined both in ${config} and in ${path.join(home, 'repositories.json')}: keep one (meridian.yaml is the place for it)`);
  expect(errorOf(() => commandRepository('rasters', env())).message).toContain('is defined both in');
});

test('passphrases come from passwordEnv and passwordFile; an unset variable is named, no value is ever shown', () => {
  expect(passphraseFor('tiles', { env: env() })).toBe('tiles secret');
  expect(passphraseFor('rasters', { env: env() })).toBe('raster secret');
  expect(passphraseFor('s3://gis/rasters?region=eu-west-1', { env: env() })).toBe('raster secret');
  const unset = errorOf(() => passphraseFor('tiles', { env: env({ TILES_PASSPHRASE: '' }) }));
  expect(unset.message).toBe('environment variable TILES_PASSPHRASE (the passwordEnv of repository "tiles") is not set');
});

test('a worker checks the secrets of its meridian.yaml when it starts: FILE:LINE: key path', () => {
  expect(errorOf(() => loadWorkerConfig(env({ TILES_PASSPHRASE: undefined }))).message).toBe(`${config}:4: repositories.tiles.passwordEnv: environment variable TILES_PASSPHRASE is not set`);
  fs.rmSync(path.join(work, 'etc', 'rasters.pass'));
  const missing = errorOf(() => loadWorkerConfig(env())).message;
  expect(missing).toBe(`${config}:7: repositories.rasters.passwordFile: cannot read password file ${path.join(work, 'etc', 'rasters.pass')}: ENOENT`);
  expect(missing).not.toContain('secret');
});

test('a bad meridian.yaml stops the worker and every name lookup with its FILE:LINE error', () => {
  fs.writeFileSync(config, YAML('schedules:\n  nightly:\n    source: tile\n    template: daily\n'));
  const expected = `${config}:14: schedules.nightly.source: no source named "tile" in sources (known: tiles)`;
  expect(errorOf(() => loadWorkerConfig(env())).message).toBe(expected);
  expect(errorOf(() => commandRepository('tiles', env())).message).toBe(expected);
});

test("the sources of the worker's own meridian.yaml are admitted as backup sources; elsewhere is refused, naming them", async () => {
  const tiles = path.join(work, 'etc', 'data', 'tiles');
  fs.mkdirSync(path.join(tiles, 'z12'), { recursive: true });
  fs.mkdirSync(path.join(work, 'elsewhere'));
  const workerConfig = loadWorkerConfig(env());
  const authority = configuredAuthority(workerConfig, { env: env() });
  const admitted = await authority.admit({ repo: 'tiles', source: path.join(tiles, 'z12') });
  expect(admitted.url).toBe(path.join(work, 'etc', 'repos', 'tiles'));
  expect(admitted.passphrase()).toBe('tiles secret');
  await expect(authority.admit({ repo: 'tiles', source: tiles })).resolves.toBeDefined();
  await expect(authority.admit({ repo: 'tiles', source: path.join(work, 'elsewhere') })).rejects.toThrow(
    `[authority] refused backup source ${path.join(work, 'elsewhere')}: not under a configured root (MERIDIAN_SOURCE_ROOTS is not set; the sources of ${config} are ${tiles}; MERIDIAN_ALLOW_ANY_PATH=1 allows any path on a single-user machine)`,
  );
  await expect(authority.admit({ repo: 'tiles', target: tiles })).rejects.toThrow(/refused restore target/);
});

test("a worker's start-up line names the files it read", () => {
  writeJson({ archive: { url: path.join(work, 'archive') } });
  const tiles = path.join(work, 'etc', 'data', 'tiles');
  expect(describeWorkerConfig(loadWorkerConfig(env()))).toBe(
    `serving 3 repositories (${config}, ${path.join(home, 'repositories.json')}); backups from ${tiles}; restores into no path`,
  );
});

test('a repository whose role is append-only (in either file) is admitted for backups but refused for anything that deletes', async () => {
  fs.writeFileSync(config, YAML().replace('    passwordEnv: TILES_PASSPHRASE\n', '    passwordEnv: TILES_PASSPHRASE\n    role: append-only\n'));
  writeJson({ archive: { url: path.join(work, 'archive'), role: 'append-only' } });
  const workerConfig = loadWorkerConfig(env());
  const authority = configuredAuthority(workerConfig, { env: env() });
  expect(await authority.admit({ repo: 'tiles' })).toMatchObject({ role: 'append-only' });
  await expect(authority.admit({ repo: 'tiles', maintenance: 'forget' })).rejects.toThrow(
    `[authority] refused forget on repository name "tiles": this worker's role for it is append-only (role: append-only in ${config}), which adds files and never deletes or replaces them; run forget on a worker with the maintenance role`,
  );
  await expect(authority.admit({ repo: 'archive', maintenance: 'prune' })).rejects.toThrow(/refused prune on repository name "archive": this worker's role for it is append-only/);
  expect((await authority.admit({ repo: 'rasters', maintenance: 'prune' })).role).toBeUndefined();
  expect(describeWorkerConfig(workerConfig)).toContain(`serving 3 repositories (${config}, ${path.join(home, 'repositories.json')}), append-only for tiles, archive; backups from`);
});

test('an unknown role is a FILE:LINE error naming the choices', () => {
  fs.writeFileSync(config, YAML().replace('    passwordEnv: TILES_PASSPHRASE\n', '    passwordEnv: TILES_PASSPHRASE\n    role: read-only\n'));
  expect(errorOf(() => loadWorkerConfig(env())).message).toMatch(new RegExp(`^${config}:5: repositories\\.tiles\\.role: .*"maintenance".*"append-only"`));
});
