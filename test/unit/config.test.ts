// meridian.yaml: a full example parses with its defaults, durations and sizes; every kind of error
// (unknown key, schedule timing, cron, time zone, cross reference, secret) is one line naming the
// file, the line and the key path, and never a secret's value.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkSecrets, parseConfig, readConfigText } from '../../config/load';
import { isScrubSchedule } from '../../config/schema';
import { RepositoryError } from '../../core/errors';
import { configErrorOf, editedText } from '../helpers/configErrors';

const FILE = '/etc/meridian/meridian.yaml';

const EXAMPLE = `# a GIS team
temporal:
  taskQueue: gis
repositories:
  tiles-repo:
    url: /srv/backup/tiles
    passwordFile: secrets/tiles.pass
  rasters-repo:
    url: s3://gis-backups/rasters?region=eu-central-1
    passwordEnv: RASTERS_PASSPHRASE
sources:
  tiles:
    path: /data/tiles
    repository: tiles-repo
    exclude: ["*.tmp"]
  rasters:
    path: rasters
    repository: rasters-repo
    host: raster-1
    tags: [gis]
policies:
  gfs:
    keepDaily: 7
    keepWeekly: 4
    keepMonthly: 12
    keepYearly: 5
schedules:
  tiles-hourly:
    source: tiles
    template: hourly
    jitter: 5m
  rasters-daily:
    source: rasters
    cron: "30 2 * * MON-FRI"
    timezone: Europe/Berlin
    policy: gfs
    prune: { every: 7 }
    notify: [ops-mail, ops-hook]
  tiles-scrub:
    repository: tiles-repo
    template: weekly
    scrub: { cycle: 4, budgetBytes: 10GiB }
notifications:
  ops-mail:
    email: { to: ops@example.com, from: meridian@example.com, smtp: "smtp://mail.example.com:587" }
    minSeverity: warning
  ops-hook:
    webhook: { url: "https://hooks.example.com/meridian", secretFile: secrets/hook.secret }
    events: [backup-failed, sla-violation-started, sla-violation-resolved]
`;

const errorOf = (text: string) => configErrorOf(text, FILE);
const edited = (from: string, to: string) => editedText(EXAMPLE, from, to);

describe('a valid meridian.yaml', () => {
  it('parses the full example with defaults, durations, sizes and paths from the file directory', () => {
    const config = parseConfig(EXAMPLE, FILE);
    expect(config.temporal).toEqual({ taskQueue: 'gis' });
    expect(config.repositories['tiles-repo']).toEqual({ url: '/srv/backup/tiles', passwordFile: '/etc/meridian/secrets/tiles.pass' });
    expect(config.sources.rasters!.path).toBe('/etc/meridian/rasters');
    expect(config.sources.tiles!.path).toBe('/data/tiles');
    const hourly = config.schedules['tiles-hourly']!;
    expect(isScrubSchedule(hourly)).toBe(false);
    expect(hourly.jitter).toBe(5 * 60_000);
    const scrub = config.schedules['tiles-scrub']!;
    expect(isScrubSchedule(scrub) && scrub.scrub).toEqual({ cycle: 4, budgetBytes: 10 * 2 ** 30 });
    const daily = config.schedules['rasters-daily']!;
    expect(!isScrubSchedule(daily) && daily.prune).toEqual({ every: 7 });
    expect(daily.notify).toEqual(['ops-mail', 'ops-hook']);
    expect(config.notifications['ops-hook']).toEqual({ webhook: { url: 'https://hooks.example.com/meridian', secretFile: '/etc/meridian/secrets/hook.secret' }, minSeverity: 'info', events: ['backup-failed', 'sla-violation-started', 'sla-violation-resolved'] });
    expect(config.notifications['ops-mail']!.minSeverity).toBe('warning');
  });

  it('reads durations and sizes in every unit', () => {
    const text = (every: string, budget: string) => `repositories: { r: { url: /r } }\nschedules:\n  s:\n    repository: r\n    every: ${every}\n    scrub: { cycle: 2, budgetBytes: ${budget} }\n`;
    const cases: [string, string, number, number][] = [
      ['1000ms', '512', 1000, 512],
      ['90s', '1.5KiB', 90_000, 1536],
      ['10m', '500MB', 600_000, 500e6],
      ['2h', '3TiB', 7_200_000, 3 * 2 ** 40],
      ['1d', '2 GB', 86_400_000, 2e9],
    ];
    for (const [every, budget, ms, bytes] of cases) {
      const schedule = parseConfig(text(every, budget), FILE).schedules.s!;
      expect(schedule.every).toBe(ms);
      expect(isScrubSchedule(schedule) && schedule.scrub.budgetBytes).toBe(bytes);
    }
    expect(errorOf(text('1w', '1GiB'))).toBe(`${FILE}:5: schedules.s.every: a duration such as 90s, 10m, 1h or 2d`);
    expect(errorOf(text('999ms', '1GiB'))).toBe(`${FILE}:5: schedules.s.every: an interval of at least 1s`);
    expect(errorOf(text('1h', '1 parsec'))).toMatch(/^\/etc\/meridian\/meridian\.yaml:6: schedules\.s\.scrub\.budgetBytes: /);
  });

  it('accepts an empty file and the cron forms: names, ranges, steps, lists, 7 for Sunday, aliases', () => {
    expect(parseConfig('', FILE)).toEqual({ repositories: {}, sources: {}, policies: {}, schedules: {}, replication: {}, failover: {}, runbooks: {}, slas: {}, notifications: {} });
    for (const cron of ['*/15 * * * *', '0 8-18/2 * * 1-5', '0,30 0 1,15 JAN-MAR,dec *', '0 3 * * 7', '5 4 * * sun', '@daily', '59 23 31 12 6']) {
      expect(parseConfig(edited('"30 2 * * MON-FRI"', `"${cron}"`), FILE).schedules['rasters-daily']!.cron).toBe(cron);
    }
    expect(parseConfig(edited('"30 2 * * MON-FRI"', '" 0  3\t* * 0 "'), FILE).schedules['rasters-daily']!.cron).toBe('0 3 * * 0');
  });
});

describe('meridian.yaml errors name the file, the line and the key path', () => {
  it.each([
    ['an unknown key', edited('    jitter: 5m', '    jiter: 5m'), 31, 'schedules.tiles-hourly.jiter', 'Unrecognized key: "jiter"'],
    ['an unknown key of a scrub schedule', edited('cycle: 4,', 'cycle: 4, every: 2,'), 42, 'schedules.tiles-scrub.scrub.every', 'Unrecognized key: "every"'],
    ['a bad value of a scrub schedule', edited('cycle: 4,', 'cycle: 0,'), 42, 'schedules.tiles-scrub.scrub.cycle', 'Too small'],
    ['two timings', edited('    template: hourly', '    template: hourly\n    cron: "0 * * * *"'), 31, 'schedules.tiles-hourly.cron', 'give only one of template, cron or every (found template and cron)'],
    ['no timing', edited('    template: hourly\n', ''), 28, 'schedules.tiles-hourly', 'a schedule needs one of template, cron or every'],
    ['an unknown template', edited('template: hourly', 'template: twice-daily'), 30, 'schedules.tiles-hourly.template', 'Invalid option'],
    ['a minute out of range', edited('"30 2 * * MON-FRI"', '"61 * * * *"'), 34, 'schedules.rasters-daily.cron', 'bad cron "61 * * * *": minute 61 is outside 0-59'],
    ['four cron fields', edited('"30 2 * * MON-FRI"', '"0 2 * *"'), 34, 'schedules.rasters-daily.cron', 'bad cron "0 2 * *": 4 fields, expected 5'],
    ['a day of week 8', edited('"30 2 * * MON-FRI"', '"0 2 * * 8"'), 34, 'schedules.rasters-daily.cron', 'bad cron "0 2 * * 8": day-of-week 8 is outside 0-6 (or 7 for Sunday)'],
    ['a month name that is not one', edited('"30 2 * * MON-FRI"', '"0 2 * FOO *"'), 34, 'schedules.rasters-daily.cron', 'bad cron "0 2 * FOO *": month "FOO" is not a number or a name JAN–DEC'],
    ['a backwards range', edited('"30 2 * * MON-FRI"', '"0 20-8 * * *"'), 34, 'schedules.rasters-daily.cron', 'bad cron "0 20-8 * * *": hour range 20-8 runs backwards'],
    ['a zero step', edited('"30 2 * * MON-FRI"', '"*/0 * * * *"'), 34, 'schedules.rasters-daily.cron', 'bad cron "*/0 * * * *": minute step 0 is not allowed'],
    ['an unknown alias', edited('"30 2 * * MON-FRI"', '"@yearly"'), 34, 'schedules.rasters-daily.cron', 'bad cron "@yearly": unknown alias @yearly'],
    ['an unknown time zone', edited('Europe/Berlin', 'Europe/Berln'), 35, 'schedules.rasters-daily.timezone', 'unknown time zone "Europe/Berln"'],
    ['both secret forms', edited('    passwordEnv: RASTERS_PASSPHRASE', '    passwordEnv: RASTERS_PASSPHRASE\n    passwordFile: /p'), 10, 'repositories.rasters-repo.passwordEnv', 'give passwordFile or passwordEnv, not both'],
    ['a bad repository URL', edited('url: s3://gis-backups/rasters?region=eu-central-1', 'url: "ftp://x/y"'), 9, 'repositories.rasters-repo.url', 'unsupported repository URL scheme "ftp://"'],
    ['a source naming a missing repository', edited('    repository: tiles-repo\n    exclude', '    repository: tile-repo\n    exclude'), 14, 'sources.tiles.repository', 'no repository named "tile-repo" in repositories (known: tiles-repo, rasters-repo)'],
    ['a schedule naming a missing source', edited('    source: tiles\n', '    source: tile\n'), 29, 'schedules.tiles-hourly.source', 'no source named "tile" in sources (known: tiles, rasters)'],
    ['a schedule naming a missing policy', edited('policy: gfs', 'policy: gfs2'), 36, 'schedules.rasters-daily.policy', 'no policy named "gfs2" in policies (known: gfs)'],
    ['a schedule notifying a URL (channels are names)', edited('ops-mail, ops-hook]', 'ops-mail, "https://x.example/h"]'), 38, 'schedules.rasters-daily.notify.1', 'a notification channel name (URLs and addresses are set in notifications:)'],
    ['a schedule naming a missing channel', edited('ops-mail, ops-hook]', 'ops-mail, ops-hooks]'), 38, 'schedules.rasters-daily.notify.1', 'no notification channel named "ops-hooks" in notifications (known: ops-mail, ops-hook)'],
    ['an SMTP user without a password', edited('smtp: "smtp://mail.example.com:587" }', 'smtp: "smtp://mail.example.com:587", userFile: u }'), 45, 'notifications.ops-mail.email.userFile', 'give both userFile and passwordFile, or neither'],
    ['a scrub schedule naming a missing repository', edited('    repository: tiles-repo\n    template: weekly', '    repository: tiles\n    template: weekly'), 40, 'schedules.tiles-scrub.repository', 'no repository named "tiles" in repositories'],
  ])('%s', (_what, text, line, keyPath, message) => {
    const error = errorOf(text);
    const expected = `${FILE}:${line}: ${keyPath}: ${message}`;
    expect(error.slice(0, expected.length)).toBe(expected);
    expect(error).not.toContain('\n');
  });

  it('says when no names are defined', () => {
    expect(errorOf('sources:\n  a:\n    path: /a\n    repository: r\n')).toBe(`${FILE}:4: sources.a.repository: no repository named "r" in repositories (none are defined)`);
  });

  it('names the line of a YAML syntax error', () => {
    expect(errorOf('repositories:\n  a:\n    url: /x\n  a:\n    url: /y\n')).toMatch(/^\/etc\/meridian\/meridian\.yaml:4: /);
  });
});

describe('checkSecrets', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-config-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = () => readConfigText(fs.readFileSync(path.join(dir, 'meridian.yaml'), 'utf8'), path.join(dir, 'meridian.yaml'));
  const secretError = (env: NodeJS.ProcessEnv): string => {
    try {
      checkSecrets(load(), env);
    } catch (err) {
      expect((err as RepositoryError).code).toBe('invalid-argument');
      return (err as Error).message;
    }
    return '';
  };

  it('accepts readable password files (relative to the file) and set variables, and names the key of a missing one', () => {
    fs.writeFileSync(path.join(dir, 'meridian.yaml'), EXAMPLE);
    const file = path.join(dir, 'meridian.yaml');
    expect(secretError({ RASTERS_PASSPHRASE: 'x' })).toBe(`${file}:7: repositories.tiles-repo.passwordFile: cannot read password file ${path.join(dir, 'secrets/tiles.pass')}: ENOENT`);
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets/tiles.pass'), 'correct horse battery staple\n');
    expect(secretError({ RASTERS_PASSPHRASE: 'the raster secret' })).toBe(`${file}:48: notifications.ops-hook.webhook.secretFile: cannot read webhook secret file ${path.join(dir, 'secrets/hook.secret')}: ENOENT`);
    fs.writeFileSync(path.join(dir, 'secrets/hook.secret'), 'whsec\n');
    expect(secretError({ RASTERS_PASSPHRASE: 'the raster secret' })).toBe('');
    const missingVariable = secretError({});
    expect(missingVariable).toBe(`${file}:10: repositories.rasters-repo.passwordEnv: environment variable RASTERS_PASSPHRASE is not set`);
    expect(() => checkSecrets(load(), {}, ['tiles-repo'])).not.toThrow();
  });

  it('never puts a secret value in a message', () => {
    fs.writeFileSync(path.join(dir, 'meridian.yaml'), EXAMPLE.replace('secrets/tiles.pass', 'secrets'));
    fs.mkdirSync(path.join(dir, 'secrets'));
    const message = secretError({ RASTERS_PASSPHRASE: 'the raster secret' });
    expect(message).toContain('repositories.tiles-repo.passwordFile: password file');
    expect(message).toContain('is not a file');
    expect(message).not.toContain('the raster secret');
  });
});
