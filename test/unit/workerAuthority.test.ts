// The worker's authority on real files: repositories known by name or by full location (the
// endpoint included), sources and restore targets really under the configured roots (symlinks
// and `..` cannot lead out, a target that does not exist yet is judged by its nearest existing
// ancestor), the explicit any-path setting, the CLI worker that serves only its own workflow,
// malformed configuration, and passphrase lookup by full location.

import fs from 'node:fs';
import path from 'node:path';
import { RepositoryError } from '../../core/errors';
import { AdmissionRequest, Authority, commandAuthority, configuredAuthority } from '../../worker/authority';
import { passphraseFor } from '../../worker/passphrases';
import { commandRepository, describeWorkerConfig, loadWorkerConfig } from '../../worker/workerConfig';
import { tempDir } from '../helpers/trees';
import { withWorkerConfig } from '../helpers/workerConfig';

const S3 = 's3://gis/nightly?region=eu-west-1&endpoint=http://127.0.0.1:8333';

let work: string;
let roots: string;
let outside: string;
let env: NodeJS.ProcessEnv;
let authority: Authority;

beforeAll(() => {
  work = tempDir('authority');
  roots = path.join(work, 'roots');
  outside = path.join(work, 'outside');
  for (const dir of [path.join(roots, 'data'), outside]) fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(outside, path.join(roots, 'escape'));
  env = withWorkerConfig({ MERIDIAN_HOME: path.join(work, 'home') }, { repositories: [path.join(work, 'repo'), S3, { name: 'tiles', url: path.join(work, 'tiles-repo') }], roots: [roots] });
  authority = configuredAuthority(loadWorkerConfig(env), { env });
});

async function refusal(request: AdmissionRequest, by = authority): Promise<string> {
  const err = await by.admit(request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RepositoryError);
  expect((err as RepositoryError).code).toBe('refused');
  return (err as Error).message;
}

describe('repositories', () => {
  test('a configured URL, the same location written differently, and a name are admitted', async () => {
    expect((await authority.admit({ repo: path.join(work, 'repo') })).url).toBe(path.join(work, 'repo'));
    expect((await authority.admit({ repo: `file://${work}/repo` })).url).toBe(path.join(work, 'repo'));
    expect((await authority.admit({ repo: 's3://gis/nightly/?endpoint=http://127.0.0.1:8333/&region=eu-west-1' })).url).toBe(S3);
    expect((await authority.admit({ repo: 'tiles' })).url).toBe(path.join(work, 'tiles-repo'));
  });

  test.each([
    ['another endpoint', 's3://gis/nightly?region=eu-west-1&endpoint=http://127.0.0.1:9999'],
    ['no endpoint', 's3://gis/nightly?region=eu-west-1'],
    ['another region', 's3://gis/nightly?region=us-east-1&endpoint=http://127.0.0.1:8333'],
    ['another prefix', 's3://gis/other?region=eu-west-1&endpoint=http://127.0.0.1:8333'],
    ['another local path', '/etc'],
  ])('%s is refused, naming the repository and the file that would allow it', async (_, repo) => {
    expect(await refusal({ repo })).toMatch(new RegExp(`^\\[authority\\] refused repository "[^"]+"( at [^ ]+)?: this worker is not configured for it \\(add it to the repositories of ${work}/home/meridian\\.yaml by name, or to ${work}/home/repositories\\.json`));
  });

  test('an unknown name and a malformed URL are refused', async () => {
    expect(await refusal({ repo: 'elsewhere' })).toMatch(/^\[authority\] refused repository name "elsewhere"/);
    expect(await refusal({ repo: 'ftp://host/x' })).toBe('[authority] refused a repository that is neither a name nor a valid URL (unsupported repository URL scheme "ftp://")');
  });

  test('a refusal names the location and endpoint host, never the rest of the URL', async () => {
    expect(await refusal({ repo: 's3://gis/nightly?endpoint=http://user:secret@127.0.0.1:9/&region=x-secret' })).toMatch(
      /^\[authority\] refused repository "s3:\/\/gis\/nightly" at 127\.0\.0\.1:9: this worker is not configured for it/,
    );
    expect(await refusal({ repo: 's3://gis/nightly?endpoint=http://user:secret@127.0.0.1:9/&region=x-secret' })).not.toMatch(/secret/);
  });
});

describe('paths', () => {
  const repo = 'tiles';

  test('a source or target under a root is admitted, also one that does not exist yet', async () => {
    await authority.admit({ repo, source: path.join(roots, 'data') });
    await authority.admit({ repo, target: roots });
    await authority.admit({ repo, target: path.join(roots, 'new', 'deeper') });
  });

  test('a path outside the roots is refused, naming the setting', async () => {
    expect(await refusal({ repo, source: outside })).toBe(
      `[authority] refused backup source ${outside}: not under a configured root (MERIDIAN_SOURCE_ROOTS is ${roots}; MERIDIAN_ALLOW_ANY_PATH=1 allows any path on a single-user machine)`,
    );
    expect(await refusal({ repo, target: '/etc' })).toMatch(/^\[authority\] refused restore target \/etc: not under a configured root \(MERIDIAN_RESTORE_ROOTS is /);
    expect(await refusal({ repo, target: `${roots}-sibling` })).toMatch(/not under a configured root/);
  });

  test('a symlink inside a root that leads out is refused, for existing and not yet existing paths', async () => {
    expect(await refusal({ repo, target: path.join(roots, 'escape') })).toMatch(/refused restore target/);
    expect(await refusal({ repo, target: path.join(roots, 'escape', 'new', 'dir') })).toMatch(/refused restore target/);
    expect(await refusal({ repo, source: path.join(roots, 'escape') })).toMatch(/refused backup source/);
  });

  test('"." and ".." segments and relative paths are refused', async () => {
    expect(await refusal({ repo, target: `${roots}/data/../../outside` })).toMatch(/must be an absolute path without "\." or "\.\." segments/);
    expect(await refusal({ repo, source: `${roots}/./data` })).toMatch(/segments/);
    expect(await refusal({ repo, source: 'data' })).toMatch(/segments/);
  });

  test('without roots nothing is admitted; MERIDIAN_ALLOW_ANY_PATH=1 admits any path (and still only known repositories)', async () => {
    const none = configuredAuthority(loadWorkerConfig({ MERIDIAN_HOME: env.MERIDIAN_HOME }));
    expect(await refusal({ repo, source: path.join(roots, 'data') }, none)).toMatch(/\(MERIDIAN_SOURCE_ROOTS is not set;/);
    const any = configuredAuthority(loadWorkerConfig({ MERIDIAN_HOME: env.MERIDIAN_HOME, MERIDIAN_ALLOW_ANY_PATH: '1' }));
    await any.admit({ repo, source: outside, target: '/etc' });
    expect(await refusal({ repo: '/etc', source: outside }, any)).toMatch(/refused repository "\/etc"/);
  });
});

describe("the CLI's in-process worker", () => {
  const command = (workflowId: Promise<string>) =>
    commandAuthority({ repository: commandRepository(path.join(work, 'repo'), env), target: path.join(roots, 'data'), workflowId }, { passphrase: 'p' });

  test('admits its own workflow with its own repository and target only', async () => {
    const own = command(Promise.resolve('restore:mine'));
    expect((await own.admit({ workflowId: 'restore:mine', repo: path.join(work, 'repo'), target: path.join(roots, 'data') })).passphrase()).toBe('p');
    expect(await refusal({ workflowId: 'restore:theirs', repo: path.join(work, 'repo'), target: path.join(roots, 'data') }, own)).toMatch(
      /^\[authority\] refused workflow restore:theirs: this worker belongs to a meridian CLI command/,
    );
    expect(await refusal({ workflowId: 'restore:mine', repo: path.join(work, 'repo'), target: roots }, own)).toMatch(/serves only the paths of the meridian command/);
    expect(await refusal({ workflowId: 'restore:mine', repo: 'tiles', target: path.join(roots, 'data') }, own)).toMatch(/serves only the repository of the meridian command/);
  });

  test('refuses everything when its workflow could not start', async () => {
    expect(await refusal({ workflowId: 'x', repo: path.join(work, 'repo') }, command(Promise.reject(new Error('start failed'))))).toMatch(/refused workflow x/);
  });
});

describe('configuration', () => {
  const home = () => tempDir('authority-home');
  const write = (dir: string, json: string) => {
    fs.writeFileSync(path.join(dir, 'repositories.json'), json);
    return { MERIDIAN_HOME: dir };
  };

  test.each([
    ['{"tiles": {}}', /"tiles" is a name and needs a "url"/],
    ['{"/srv/repo": {"url": "/srv/other"}}', /"\/srv\/repo" is a repository URL and takes no "url"/],
    ['{"tiles": {"url": "relative"}}', /"tiles": repository path "relative" must be absolute/],
    ['{"tiles": {"url": "/srv/t", "password": "x"}}', /tiles: Unrecognized key/],
    ['not json', /is malformed: /],
  ])('%s is malformed', (json, message) => {
    expect(() => loadWorkerConfig(write(home(), json))).toThrow(message);
  });

  test('roots must be absolute; MERIDIAN_ALLOW_ANY_PATH is 1 or 0', () => {
    expect(() => loadWorkerConfig({ MERIDIAN_HOME: home(), MERIDIAN_SOURCE_ROOTS: `/srv${path.delimiter}data` })).toThrow('MERIDIAN_SOURCE_ROOTS: "data" is not an absolute path');
    expect(() => loadWorkerConfig({ MERIDIAN_HOME: home(), MERIDIAN_ALLOW_ANY_PATH: 'yes' })).toThrow('MERIDIAN_ALLOW_ANY_PATH must be 1 or 0 (got "yes")');
    expect(loadWorkerConfig({ MERIDIAN_HOME: home(), MERIDIAN_RESTORE_ROOTS: `/srv/a${path.delimiter}/srv/b/` }).restoreRoots).toEqual(['/srv/a', '/srv/b']);
  });

  test("a worker's start-up line says what it serves", () => {
    expect(describeWorkerConfig(loadWorkerConfig(env))).toBe(`serving 3 repositories (${work}/home/repositories.json); backups from ${roots}; restores into ${roots}`);
    expect(describeWorkerConfig(loadWorkerConfig({ MERIDIAN_HOME: home(), MERIDIAN_ALLOW_ANY_PATH: '1' }))).toMatch(/^serving no repository \(neither .*meridian\.yaml nor .*repositories\.json exists\): every operation will be refused; backups from any path; restores into any path$/);
  });

  test('an unknown name given to a command is an invalid argument naming the file', () => {
    expect(() => commandRepository('nowhere', env)).toThrow(`unknown repository name "nowhere": it is neither in the repositories of ${work}/home/meridian.yaml nor in ${work}/home/repositories.json`);
  });
});

test('passphrase lookup matches the full location: two S3 URLs that differ only by endpoint get their own passphrase', () => {
  const dir = tempDir('authority-pass');
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), `${text}\n`);
    return path.join(dir, name);
  };
  const lookupEnv = {
    MERIDIAN_HOME: dir,
    MERIDIAN_PASSWORD: 'fallback',
  };
  fs.writeFileSync(
    path.join(dir, 'repositories.json'),
    JSON.stringify({
      's3://gis/p?endpoint=http://127.0.0.1:8333': { passwordFile: file('a', 'passphrase of the one on 8333') },
      mirror: { url: 's3://gis/p?endpoint=http://127.0.0.1:9444', passwordFile: file('b', 'passphrase of the one on 9444') },
    }),
  );
  expect(passphraseFor('s3://gis/p?endpoint=http://127.0.0.1:8333', { env: lookupEnv })).toBe('passphrase of the one on 8333');
  expect(passphraseFor('s3://gis/p?endpoint=http://127.0.0.1:9444', { env: lookupEnv })).toBe('passphrase of the one on 9444');
  expect(passphraseFor('mirror', { env: lookupEnv })).toBe('passphrase of the one on 9444');
  expect(passphraseFor('s3://gis/p', { env: lookupEnv })).toBe('fallback');
  expect(passphraseFor('s3://gis/p?endpoint=http://attacker:1', { env: lookupEnv })).toBe('fallback');
});
