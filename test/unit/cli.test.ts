// The `meridian` command without Temporal, by running the built binary (bin/meridian.js →
// dist/cli/main.js; build with `npm run build` first): usage errors exit 2 with one
// line, and init, snapshots and key work on a real local repository, with exit 3 for key and
// repository problems. TEMPORAL_ADDRESS points nowhere, so touching Temporal would show as exit 4.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuildFresh } from '../setup/distFreshness';

jest.setTimeout(60_000); // each case starts a Node process; scrypt makes key operations slower still

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'meridian.js');

let work: string;
let repo: string;

beforeAll(() => {
  assertBuildFresh(root);
  work = mkdtempSync(path.join(os.tmpdir(), 'meridian-cli-'));
  repo = path.join(work, 'repo');
  mkdirSync(path.join(work, 'home'));
  mkdirSync(path.join(work, 'source'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `meridian args` with a clean environment plus `env` (an undefined value unsets). */
function meridian(args: string[], env: Record<string, string | undefined> = {}): Run {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    MERIDIAN_HOME: path.join(work, 'home'),
    MERIDIAN_PASSWORD: undefined,
    MERIDIAN_PASSWORD_FILE: undefined,
    MERIDIAN_NEW_PASSWORD: undefined,
    MERIDIAN_API_TOKEN: undefined,
    ...env,
  };
  const cleanEnv = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, env: cleanEnv, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectOneErrorLine(run: Run, code: number, pattern: RegExp): void {
  expect({ code: run.code, stdout: run.stdout }).toEqual({ code, stdout: '' });
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^meridian: /);
  expect(lines[0]).toMatch(pattern);
}

describe('usage errors exit 2 with one line on stderr', () => {
  const cases: { name: string; args: string[]; pattern: RegExp; env?: Record<string, string | undefined> }[] = [
    { name: 'an unknown flag', args: ['snapshots', '--repo', 'repo', '--frobnicate'], pattern: /unknown option '--frobnicate'/ },
    { name: 'a missing --repo', args: ['snapshots'], pattern: /--repo is required/ },
    { name: 'a bad --type', args: ['backup', 'source', '--repo', 'repo', '--type', 'weekly'], pattern: /--type must be one of full, incremental, differential/ },
    { name: 'a passphrase on argv', args: ['backup', 'source', '--repo', 'repo', '--password', 'hunter2'], pattern: /--password is not accepted.*MERIDIAN_PASSWORD/ },
    { name: 'a passphrase on argv (--passphrase=…)', args: ['snapshots', '--repo', 'repo', '--passphrase=hunter2'], pattern: /--passphrase is not accepted/ },
    { name: 'an unknown command', args: ['frobnicate'], pattern: /unknown command 'frobnicate'/ },
    { name: 'a pg cluster name with a dot (its WAL could not be stored)', args: ['pg', 'wal-push', 'x', '--repo', 'repo', '--cluster', 'a.b'], pattern: /cluster name "a\.b" must be 1 to 63 letters, digits, "_" or "-"/ },
    { name: 'a missing PATH', args: ['backup', '--repo', 'repo'], pattern: /missing PATH/ },
    { name: 'a bad --time', args: ['backup', 'source', '--repo', 'repo', '--time', '2026-02-30T10:00:00Z'], pattern: /--time must be an ISO 8601 date-time .*\(got "2026-02-30T10:00:00Z"\)/ },
    { name: 'forget with an unknown --timezone', args: ['forget', '--repo', 'repo', '--keep-last', '3', '--timezone', 'Mars/Olympus'], pattern: /--timezone "Mars\/Olympus" is not a time zone/ },
    { name: 'forget with a bad duration', args: ['forget', '--repo', 'repo', '--keep-within', '30 days'], pattern: /--keep-within: "30 days" is not a duration/ },
    { name: 'forget with a bad --gfs', args: ['forget', '--repo', 'repo', '--gfs', '7,4,12'], pattern: /--gfs must be four counts D,W,M,Y/ },
    { name: 'forget with a bad count', args: ['forget', '--repo', 'repo', '--keep-daily=-2'], pattern: /--keep-daily must be an integer of at least -1/ },
    { name: 'forget with gfs and a daily count', args: ['forget', '--repo', 'repo', '--gfs', '7,4,12,5', '--keep-daily', '3'], pattern: /gfs and keepDaily both set/ },
    { name: 'forget with a bad --group-by', args: ['forget', '--repo', 'repo', '--keep-last', '1', '--group-by', 'path'], pattern: /--group-by must be one of host,source, host, source, tags, none/ },
    { name: 'forget with a policy and ids', args: ['forget', '--repo', 'repo', '--keep-last', '1', 'abcd1234'], pattern: /either a policy .* or SNAPSHOT ids, not both/ },
    { name: 'forget with nothing to forget', args: ['forget', '--repo', 'repo', '--min-keep', '2'], pattern: /--min-keep needs a policy/ },
    { name: 'forget without a policy or ids', args: ['forget', '--repo', 'repo'], pattern: /nothing to forget/ },
    { name: 'forget of ids with a policy option', args: ['forget', '--repo', 'repo', 'abcd1234', '--timezone', 'UTC'], pattern: /--timezone applies to a policy, not to SNAPSHOT ids/ },
    { name: 'forget with a bad id', args: ['forget', '--repo', 'repo', 'latest'], pattern: /'latest' is not a snapshot id/ },
    { name: 'forget --max-unused without --prune', args: ['forget', '--repo', 'repo', '--keep-last', '1', '--max-unused', '10'], pattern: /--max-unused applies to --prune only/ },
    { name: 'prune with a bad --max-unused', args: ['prune', '--repo', 'repo', '--max-unused', '101'], pattern: /--max-unused must be a percentage from 0 to 100 \(got "101"\)/ },
    { name: 'prune with an argument', args: ['prune', '--repo', 'repo', 'now'], pattern: /unexpected argument 'now'/ },
    { name: 'a bad --level', args: ['verify', '--repo', 'repo', '--level', 'thorough'], pattern: /--level must be one of quick, standard, deep/ },
    { name: 'a bad --sample-percent', args: ['verify', '--repo', 'repo', '--sample-percent', '0'], pattern: /--sample-percent must be/ },
    ...['0/3', '4/3', 'a/b', '3', '1/0', '-1/3', '1.5/3'].map((subset) => ({
      name: `verify --subset ${subset}`,
      args: ['verify', '--repo', 'repo', `--subset=${subset}`],
      pattern: new RegExp(`--subset must be n/T with whole numbers 1 ≤ n ≤ T, e\\.g\\. 1/7 \\(got "${subset.replace('.', '\\.')}"\\)`),
    })),
    { name: 'verify --subset with --level standard', args: ['verify', '--repo', 'repo', '--subset', '1/3', '--level', 'standard'], pattern: /--subset reads pack data: use it with --level deep/ },
    { name: 'verify --subset with --sample-percent', args: ['verify', '--repo', 'repo', '--subset', '1/3', '--sample-percent', '10'], pattern: /--subset and --sample-percent cannot be combined/ },
    { name: 'a missing --target', args: ['restore', 'latest', '--repo', 'repo'], pattern: /--target is required/ },
    { name: 'restore --at without --source', args: ['restore', '--repo', 'repo', '--target', 'out', '--at', '2026-11-30T02:15:00Z'], pattern: /--source is required with --at/ },
    { name: 'restore --at without a zone', args: ['restore', '--repo', 'repo', '--target', 'out', '--source', 'source', '--at', '2026-11-30T02:15:00'], pattern: /--at must be an ISO 8601 date-time with a zone.*\(got "2026-11-30T02:15:00"\)/ },
    { name: 'restore --at with a SNAPSHOT', args: ['restore', 'latest', '--repo', 'repo', '--target', 'out', '--source', 'source', '--at', '2026-11-30T02:15:00Z'], pattern: /unexpected argument 'latest'/ },
    { name: 'restore --at with --include', args: ['restore', '--repo', 'repo', '--target', 'out', '--source', 'source', '--at', '2026-11-30T02:15:00Z', '--include', '*.tif'], pattern: /--include and --exclude do not go with --at/ },
    { name: 'restore --source without --at', args: ['restore', 'latest', '--repo', 'repo', '--target', 'out', '--source', 'source'], pattern: /--source goes with --at/ },
    { name: 'snapshots --at without --source', args: ['snapshots', '--repo', 'repo', '--at', '2026-11-30T02:15:00Z'], pattern: /--source is required with --at/ },
    { name: 'pg with an unknown action', args: ['pg', 'vacuum', '--repo', 'repo'], pattern: /unknown pg action 'vacuum'/ },
    { name: 'pg backup of neither --pgdata nor --dsn', args: ['pg', 'backup', '--repo', 'repo'], pattern: /pg backup takes one of --pgdata and --dsn/ },
    { name: 'pg backup with a password in its --dsn', args: ['pg', 'backup', '--repo', 'repo', '--dsn', 'postgresql://db/x?password=s3cret'], pattern: /pg backup --dsn: the connection string must not carry a password/ },
    { name: 'pg backup with a password in its --dsn user info', args: ['pg', 'backup', '--repo', 'repo', '--dsn', 'postgres://u:s3cret@db/x'], pattern: /pg backup --dsn: the connection string must not carry a password/ },
    { name: 'pg restore without --target-time', args: ['pg', 'restore', '--repo', 'repo', '--target-dir', 'out'], pattern: /--target-time is required/ },
    { name: 'pg restore with a bad --target-action', args: ['pg', 'restore', '--repo', 'repo', '--target-dir', 'out', '--target-time', '2026-11-30T02:15:00Z', '--target-action', 'shutdown'], pattern: /--target-action must be promote or pause/ },
    { name: 'pg verify --dry-run without --retention', args: ['pg', 'verify', '--repo', 'repo', '--dry-run'], pattern: /--dry-run applies only with --retention/ },
    { name: 'pg restore --start on a bad --port', args: ['pg', 'restore', '--repo', 'repo', '--target-dir', 'out', '--target-time', '2026-11-30T02:15:00Z', '--start', '--port', '70000'], pattern: /--port must be a port number/ },
    { name: 'an unsupported repository URL', args: ['snapshots', '--repo', 'ftp://host/repo'], pattern: /unsupported repository URL scheme/ },
    { name: 'a bad --compression', args: ['init', '--repo', 'new', '--compression', 'brotli', '--no-encryption'], pattern: /--compression must be one of zstd, lz4, gzip, none/ },
    { name: 'a bad chunk size', args: ['init', '--repo', 'new', '--chunk-min', '12k', '--no-encryption'], pattern: /--chunk-min must be an integer/ },
    { name: 'an unknown key action', args: ['key', 'revoke', '--repo', 'repo'], pattern: /unknown key action 'revoke'/ },
    { name: 'init without a passphrase', args: ['init', '--repo', 'new'], pattern: /needs a passphrase/ },
    { name: 'server without MERIDIAN_API_TOKEN', args: ['server'], pattern: /MERIDIAN_API_TOKEN is not set/ },
    { name: 'worker without TEMPORAL_ADDRESS', args: ['worker'], pattern: /TEMPORAL_ADDRESS is not set/, env: { TEMPORAL_ADDRESS: undefined } },
  ];

  it.each(cases)('$name', ({ args, pattern, env }) => {
    const run = meridian(args, env);
    expectOneErrorLine(run, 2, pattern);
    expect(run.stderr).not.toContain('hunter2');
  });

  it('prints the usage of a command with --help and exits 0', () => {
    const run = meridian(['restore', '--help']);
    expect(run).toEqual({ code: 0, stdout: expect.stringContaining('meridian restore SNAPSHOT|latest --repo URL --target DIR') as string, stderr: '' });
  });
});

describe('--version and help', () => {
  it('--version and -V print the version of package.json and exit 0', () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(meridian(['--version'])).toEqual({ code: 0, stdout: `meridian ${version}\n`, stderr: '' });
    expect(meridian(['-V'])).toEqual({ code: 0, stdout: `meridian ${version}\n`, stderr: '' });
  });

  it('`help COMMAND` and `COMMAND --help` print the same help, each option with its default and environment', () => {
    const help = meridian(['help', 'backup']);
    expect(help.code).toBe(0);
    expect(meridian(['backup', '--help'])).toEqual(help);
    expect(meridian(['backup', '-h', '--frobnicate'])).toEqual(help); // help needs no valid command line
    const entry = (option: string) => help.stdout.slice(help.stdout.indexOf(`  ${option}`)).split(/\n {2}-/)[0]!;
    expect(entry('--repo URL')).toContain('environment: MERIDIAN_REPOSITORY');
    expect(entry('--password-file FILE')).toMatch(/environment: MERIDIAN_PASSWORD_FILE, or MERIDIAN_PASSWORD/);
    expect(entry('--type full|incremental|differential')).toContain('default: incremental');
    expect(entry('--tag T')).toContain('may be repeated');
    for (const option of ['--json', '-q, --quiet', '--exclude GLOB', '-h, --help']) expect(help.stdout).toContain(`\n  ${option}`);
    expect(meridian(['help', 'server']).stdout).toMatch(/--port N +the port of the HTTP API.*\n +default: 8080\n +environment: MERIDIAN_API_PORT/);
    expect(meridian(['help', 'init']).stdout).toMatch(/--pack-size MIB +.*\n +default: 16\n/);
  });

  it('the environment variable of an option stands in for it, and a bad value names where it came from', () => {
    const env = { MERIDIAN_API_TOKEN: 'token', MERIDIAN_API_PORT: 'eighty' };
    expectOneErrorLine(meridian(['server'], env), 2, /^meridian: MERIDIAN_API_PORT must be an integer from 0 to 65535 \(got "eighty"\)$/);
    expectOneErrorLine(meridian(['server', '--port', '99999'], env), 2, /^meridian: --port must be an integer from 0 to 65535 \(got "99999"\)$/);
  });

  it('help of an unknown command exits 2 with one line', () => {
    expectOneErrorLine(meridian(['help', 'frobnicate']), 2, /unknown command 'frobnicate'/);
  });
});

describe('pg wal-fetch (restore_command) exits above 125 on any failure but a WAL file not archived', () => {
  /** NODE_OPTIONS loading a module that makes each require of a path ending in `module` throw (none: no failure). */
  function failingToLoad(module: string | undefined): Record<string, string> {
    if (module === undefined) return {};
    const preload = path.join(work, 'fail-to-load.js');
    writeFileSync(
      preload,
      "const Module = require('node:module'); const load = Module._load;\n" +
        "Module._load = function (request, ...rest) { if (request.endsWith(process.env.FAIL_TO_LOAD)) throw new Error('cannot load ' + request); return load.call(this, request, ...rest); };\n",
    );
    return { NODE_OPTIONS: `--require ${preload}`, FAIL_TO_LOAD: module };
  }
  const fetchArgs = ['pg', 'wal-fetch', '000000010000000000000001', 'fetched', '--repo', 'repo'];

  it.each([
    ['a bad flag', [...fetchArgs, '--bogus'], undefined, /unknown option '--bogus'/],
    ['its fast client failing to load (bin/meridian.js)', fetchArgs, 'cli/walClient.js', /cannot load .*walClient\.js/],
    ['the pg command failing to load (cli/main.ts)', fetchArgs, 'commands/pg.js', /cannot load .*pg\.js/],
  ])('%s', (_name, args, module, pattern) => {
    expectOneErrorLine(meridian(args, failingToLoad(module)), 126, pattern);
    expect(existsSync(path.join(work, 'fetched'))).toBe(false);
  });
});

describe('MERIDIAN_REPOSITORY', () => {
  it('is the repository of a command given no --repo; an explicit --repo wins', () => {
    const plain = path.join(work, 'env-repo');
    expect(meridian(['init', '--no-encryption'], { MERIDIAN_REPOSITORY: plain }).code).toBe(0);
    expect(meridian(['snapshots', '--json'], { MERIDIAN_REPOSITORY: plain })).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(meridian(['snapshots', '--json', '--repo', plain], { MERIDIAN_REPOSITORY: path.join(work, 'source') })).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('a bad value is named as coming from MERIDIAN_REPOSITORY; without either, the error names both', () => {
    expectOneErrorLine(meridian(['snapshots'], { MERIDIAN_REPOSITORY: 'ftp://host/repo' }), 2, /^meridian: MERIDIAN_REPOSITORY ftp:\/\/host\/repo: .*unsupported/);
    expectOneErrorLine(meridian(['snapshots']), 2, /--repo is required \(or set MERIDIAN_REPOSITORY\)/);
  });
});

describe('errors under --json', () => {
  /** The run printed nothing on stdout and exactly one JSON object on stderr; returns it. */
  function jsonError(run: Run): unknown {
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    return JSON.parse(lines[0]!);
  }

  it('a usage error is one JSON object on stderr with the exit code 2', () => {
    const run = meridian(['snapshots', '--repo', 'repo', '--json', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(jsonError(run)).toEqual({ error: { code: 'usage', message: expect.stringMatching(/unknown option '--frobnicate'/) as string, exitCode: 2 } });
  });

  it('so is an unknown command given --json', () => {
    const run = meridian(['frobnicate', '--json']);
    expect(run.code).toBe(2);
    expect(jsonError(run)).toEqual({ error: { code: 'usage', message: "unknown command 'frobnicate'; see 'meridian --help'", exitCode: 2 } });
  });

  it('a repository error keeps its exit code 3 and names its code', () => {
    const run = meridian(['snapshots', '--repo', path.join(work, 'source'), '--json'], { MERIDIAN_PASSWORD: 'first passphrase' });
    expect(run.code).toBe(3);
    expect(jsonError(run)).toEqual({ error: { code: 'not_a_repository', message: expect.stringMatching(/is not a Meridian repository/) as string, exitCode: 3 } });
  });
});

describe('init, snapshots and key on a local repository', () => {
  const first = { MERIDIAN_PASSWORD: 'first passphrase' };
  const second = { MERIDIAN_PASSWORD: 'second passphrase' };

  it('init creates an encrypted repository (a relative --repo is taken from the working directory)', () => {
    const run = meridian(['init', '--repo', 'repo', '--compression', 'lz4', '--pack-size', '4'], first);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^created an encrypted repository [0-9a-f]{8} at .*repo \(lz4 default, packs of 4\.00 MiB\)\n$/);
    expect(existsSync(path.join(repo, 'config'))).toBe(true);
  });

  it('snapshots --json prints [] on a fresh repository and nothing else', () => {
    const run = meridian(['snapshots', '--repo', repo, '--json'], first);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
    expect(run.stderr).toBe('');
    expect(meridian(['snapshots', '--repo', repo], first).stdout).toBe('no snapshots\n');
  });

  it('exits 3 for a wrong passphrase, a missing passphrase and a folder that is no repository', () => {
    expectOneErrorLine(meridian(['snapshots', '--repo', repo], { MERIDIAN_PASSWORD: 'wrong' }), 3, /no key .* opens with this passphrase/);
    expectOneErrorLine(meridian(['snapshots', '--repo', repo]), 3, /needs a passphrase/);
    expectOneErrorLine(meridian(['snapshots', '--repo', path.join(work, 'source')], first), 3, /is not a Meridian repository/);
    expectOneErrorLine(meridian(['key', 'list', '--repo', path.join(work, 'missing')], first), 3, /is not a Meridian repository/);
  });

  it('exits 3 with one line naming both versions for a repository of another format version', () => {
    const newer = path.join(work, 'newer');
    mkdirSync(newer);
    writeFileSync(path.join(newer, 'config'), JSON.stringify({ meridian: 3, encrypted: true, sealed: 'AAAA' }));
    const pattern = /^meridian: \[repository\] .*newer uses repository format version 3; this meridian reads version 2$/;
    expectOneErrorLine(meridian(['snapshots', '--repo', newer]), 3, pattern);
    expectOneErrorLine(meridian(['snapshots', '--repo', newer], first), 3, pattern);
  });

  it('refuses to init over an existing repository (exit 3)', () => {
    expectOneErrorLine(meridian(['init', '--repo', repo], first), 3, /already holds a repository/);
  });

  it('reads the passphrase from --password-file', () => {
    const file = path.join(work, 'passphrase.txt');
    writeFileSync(file, 'first passphrase\n');
    expect(meridian(['snapshots', '--repo', repo, '--password-file', file, '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
    expectOneErrorLine(meridian(['snapshots', '--repo', repo, '--password-file', path.join(work, 'nope.txt')]), 2, /cannot read password file/);
  });

  it('key add, list and remove', () => {
    expectOneErrorLine(meridian(['key', 'add', '--repo', repo], first), 2, /MERIDIAN_NEW_PASSWORD/);
    const added = meridian(['key', 'add', '--repo', repo], { ...first, MERIDIAN_NEW_PASSWORD: second.MERIDIAN_PASSWORD });
    expect(added.code).toBe(0);
    const newId = /^added key ([0-9a-f]{8})\n$/.exec(added.stdout)?.[1];
    expect(newId).toBeDefined();

    const listed = meridian(['key', 'list', '--repo', repo], second);
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trimEnd().split('\n').slice(1);
    expect(rows).toHaveLength(2);
    const current = rows.find((row) => row.startsWith('*'));
    expect(current?.slice(1, 9)).toBe(newId);
    const oldId = rows.find((row) => !row.startsWith('*'))!.trim().slice(0, 8);

    expectOneErrorLine(meridian(['key', 'remove', newId!, '--repo', repo], second), 2, /refusing to remove the key that opened the repository/);
    expectOneErrorLine(meridian(['key', 'remove', '--repo', repo], second), 2, /needs the ID/);
    expect(meridian(['key', 'remove', oldId, '--repo', repo], second)).toMatchObject({ code: 0, stdout: `removed key ${oldId}\n` });
    expectOneErrorLine(meridian(['snapshots', '--repo', repo], first), 3, /no key .* opens with this passphrase/);
    expect(meridian(['snapshots', '--repo', repo, '--json'], second)).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('init --no-encryption with chunker settings, and the chunker bounds are checked', () => {
    const plain = path.join(work, 'plain');
    const chunker = ['--chunk-min', '4096', '--chunk-avg', '16384', '--chunk-max', '65536'];
    expect(meridian(['init', '--repo', plain, '--no-encryption', ...chunker]).stdout).toMatch(/^created an unencrypted repository/);
    expect(meridian(['snapshots', '--repo', plain, '--json'])).toMatchObject({ code: 0, stdout: '[]\n' });
    expectOneErrorLine(meridian(['init', '--repo', path.join(work, 'bad'), '--no-encryption', '--chunk-min', '100']), 2, /chunk sizes must satisfy/i);
  });
});
