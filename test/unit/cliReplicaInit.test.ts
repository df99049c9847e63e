// `meridian init --replica-of` through the built binary on local repositories, without Temporal
// (TEMPORAL_ADDRESS points nowhere): the primary is named in meridian.yaml and opened with ITS
// passphrase file (none in the environment); the replica gets the same config bytes and keys and
// opens with that passphrase; a second run finds it already a replica; a location holding another
// repository is refused (exit 3, one line); creation options are a usage error (exit 2).

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runMeridian } from '../helpers/meridianCli';
import { tempDir } from '../helpers/trees';
import { assertBuildFresh } from '../setup/distFreshness';

jest.setTimeout(60_000);

let work: string;
let env: NodeJS.ProcessEnv;
let replica: string;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 30_000 });

beforeAll(() => {
  assertBuildFresh(path.resolve(__dirname, '..', '..'));
  work = tempDir('replica-init');
  replica = path.join(work, 'gis-us');
  mkdirSync(path.join(work, 'home'));
  writeFileSync(path.join(work, 'gis.pass'), 'the primary passphrase\n');
  writeFileSync(path.join(work, 'meridian.yaml'), `repositories:\n  gis-eu: { url: ${path.join(work, 'gis-eu')}, region: eu-west-1, passwordFile: ${path.join(work, 'gis.pass')} }\n`);
  const { MERIDIAN_PASSWORD: _p, MERIDIAN_PASSWORD_FILE: _f, MERIDIAN_REPOSITORY: _r, ...inherited } = process.env;
  env = { ...inherited, TEMPORAL_ADDRESS: '127.0.0.1:1', MERIDIAN_HOME: path.join(work, 'home'), MERIDIAN_CONFIG: path.join(work, 'meridian.yaml') };
});

describe('meridian init --replica-of', () => {
  it("makes a replica of a named primary, opened with the primary's configured passphrase", async () => {
    expect((await meridian('init', '--repo', 'gis-eu', '--pack-size', '1')).code).toBe(0);
    const run = await meridian('init', '--replica-of', 'gis-eu', '--repo', replica, '--json');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const answer = JSON.parse(run.stdout) as { repositoryId: string; replicaOf: string; location: string; created: boolean };
    expect(answer).toEqual({ repositoryId: expect.stringMatching(/^[0-9a-f]{64}$/), replicaOf: 'gis-eu', location: replica, created: true });

    expect(readFileSync(path.join(replica, 'config'))).toEqual(readFileSync(path.join(work, 'gis-eu', 'config')));
    expect(readdirSync(path.join(replica, 'keys')).sort()).toEqual(readdirSync(path.join(work, 'gis-eu', 'keys')).sort());
    expect(readdirSync(path.join(replica, 'locks'))).toHaveLength(1); // the replica-state document

    const snapshots = await meridian('snapshots', '--repo', replica, '--password-file', path.join(work, 'gis.pass'), '--json');
    expect({ code: snapshots.code, stderr: snapshots.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('again on the same replica: nothing to do', async () => {
    const run = await meridian('init', '--replica-of', 'gis-eu', '--repo', replica);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^${replica} is already a replica of gis-eu \\(repository [0-9a-f]{8}\\); nothing to do\\n$`));
  });

  it('refuses a location holding another repository (exit 3, one line)', async () => {
    const other = path.join(work, 'other');
    expect((await meridian('init', '--repo', other, '--no-encryption')).code).toBe(0);
    const run = await meridian('init', '--replica-of', 'gis-eu', '--repo', other);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/already holds another repository/)]);
  });

  it("takes no creation options: a replica has its primary's", async () => {
    const run = await meridian('init', '--replica-of', 'gis-eu', '--repo', path.join(work, 'new'), '--compression', 'lz4');
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("meridian: --compression does not go with --replica-of: a replica has its primary's encryption, compression, chunker and pack size");
  });
});
