// schedules/desired.ts: what each meridian.yaml schedule becomes as a Temporal Schedule (spec,
// action input with names and the policy itself, policies, paused state) and a digest that moves
// with every one of them but not with the order of keys in the file.

import { parseConfig } from '../../config/load';
import { desiredSchedules } from '../../schedules/desired';

const FILE = `
repositories:
  gis: { url: /srv/backup/gis, passwordFile: /etc/meridian/gis.pass }
sources:
  tiles: { path: /data/tiles, repository: gis, host: tiles-01, taskQueue: tiles-host, exclude: ['*.tmp'], tags: [tiles] }
policies:
  gfs: { gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 }, groupBy: host, timezone: Europe/Berlin }
schedules:
  tiles-hourly: { source: tiles, template: hourly, timezone: Europe/Berlin, policy: gfs, prune: { every: 24 }, tags: [hourly], jitter: 5m, notify: [ops] }
  tiles-weekly: { source: tiles, cron: "30 1 * * 6", type: full, overlap: buffer-one, catchupWindow: 6h, enabled: false }
  gis-scrub: { repository: gis, template: weekly, scrub: { cycle: 4, budgetBytes: 1GiB } }
  fast: { source: tiles, every: 1s }
notifications:
  ops: { email: { to: ops@example.org, from: meridian@example.org, smtp: "smtp://mail.example.org:25" } }
`;

const byName = (text: string) => Object.fromEntries(desiredSchedules(parseConfig(text, 'meridian.yaml'), 'meridian').map((s) => [s.name, s]));

describe('desired schedules', () => {
  const schedules = byName(FILE);

  it('a template becomes its cron in the entry time zone, with jitter, SKIP and a 1h catch-up window by default', () => {
    const hourly = schedules['tiles-hourly']!;
    expect(hourly.id).toBe('meridian:tiles-hourly');
    expect(hourly.options.spec).toEqual({ cronExpressions: ['0 * * * *'], timezone: 'Europe/Berlin', jitter: 300_000 });
    expect(hourly.options.policies).toEqual({ overlap: 'SKIP', catchupWindow: 3_600_000, pauseOnFailure: false });
    expect(hourly.options.state).toEqual({ paused: false });
    expect(hourly.summary).toBe('hourly (0 * * * *) Europe/Berlin + jitter 300s → backup tiles');
  });

  it('the backup action carries names, the policy itself and the source settings, never a URL or secret', () => {
    const { action } = schedules['tiles-hourly']!.options;
    expect(action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledBackupWorkflow', taskQueue: 'meridian', workflowId: 'scheduled-backup:tiles-hourly' });
    expect(action.args).toEqual([
      {
        schedule: 'tiles-hourly',
        backup: { repo: 'gis', path: '/data/tiles', tags: ['tiles', 'hourly'], exclude: ['*.tmp'], host: 'tiles-01', dataTaskQueue: 'tiles-host' },
        retention: { policy: { gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 } }, groupBy: 'host', timezone: 'Europe/Berlin' },
        prune: { every: 24 },
        notify: ['ops'],
      },
    ]);
    expect(JSON.stringify(action)).not.toMatch(/srv\/backup|gis\.pass/);
  });

  it('cron, buffer-one, a catch-up window and enabled: false become the spec, policies and a paused state with a note', () => {
    const weekly = schedules['tiles-weekly']!;
    expect(weekly.options.spec).toEqual({ cronExpressions: ['30 1 * * 6'], timezone: 'UTC' });
    expect(weekly.options.policies).toEqual({ overlap: 'BUFFER_ONE', catchupWindow: 21_600_000, pauseOnFailure: false });
    expect(weekly.options.state).toEqual({ paused: true, note: 'disabled in meridian.yaml' });
    expect((weekly.options.action.args![0] as { backup: { type: string } }).backup.type).toBe('full');
  });

  it('a scrub schedule starts scrubWorkflow with the repository name, cycle and budget', () => {
    const scrub = schedules['gis-scrub']!;
    expect(scrub.options.spec.cronExpressions).toEqual(['0 3 * * 0']);
    expect(scrub.options.action).toMatchObject({ workflowType: 'scrubWorkflow', workflowId: 'scheduled-scrub:gis-scrub' });
    expect(scrub.options.action.args).toEqual([{ schedule: 'gis-scrub', repo: 'gis', cycle: 4, budgetBytes: 2 ** 30 }]);
  });

  it('an immutable repository gets its maintenance Schedule: twice per renewal interval, skipped while a run goes on', () => {
    const withVault = byName(FILE.replace('repositories:\n', 'repositories:\n  vault: { url: "s3://vault/gis", immutable: { days: 30, mode: compliance } }\n'));
    const maintenance = withVault['immutable-vault']!;
    expect(maintenance.id).toBe('meridian:immutable-vault');
    expect(maintenance.options.spec).toEqual({ intervals: [{ every: 4 * 86_400_000 }] }); // renewal interval: 30/4 → 8 days
    expect(maintenance.options.policies.overlap).toBe('SKIP');
    expect(maintenance.options.action).toMatchObject({ workflowType: 'immutableMaintenanceWorkflow', workflowId: 'scheduled-immutable:immutable-vault', args: [{ repo: 'vault' }] });
    expect(maintenance.summary).toBe('every 345600s → maintain the immutable repository vault (compliance, 30 days)');
    expect(Object.keys(schedules).some((name) => name.startsWith('immutable-'))).toBe(false);
    expect(() => parseConfig('repositories:\n  vault: { url: /srv/vault, immutable: { days: 30, mode: compliance } }\n', 'meridian.yaml')).toThrow(/immutable repositories need S3 \(Object Lock\): the url must be s3:\/\//);
    const taken = FILE.replace('repositories:\n', 'repositories:\n  vault: { url: "s3://vault/gis", immutable: { days: 30, mode: compliance } }\n').replace('  fast: {', '  immutable-vault: { repository: gis, template: weekly, scrub: { cycle: 4 } }\n  fast: {');
    expect(() => parseConfig(taken, 'meridian.yaml')).toThrow(/the schedule name "immutable-vault" is taken by this repository's maintenance Schedule/);
  });

  it('every: is an interval spec', () => {
    expect(schedules.fast!.options.spec).toEqual({ intervals: [{ every: 1000 }] });
    expect(schedules.fast!.summary).toBe('every 1s → backup tiles');
  });

  it('the digest is on the action memo, ignores key order and changes with spec, input, policies and enabled', () => {
    const hourly = schedules['tiles-hourly']!;
    expect(hourly.options.action.memo).toEqual({ meridianScheduleDigest: hourly.digest });
    expect(hourly.digest).toMatch(/^[0-9a-f]{64}$/);
    const reordered = FILE.replace('source: tiles, template: hourly, timezone: Europe/Berlin', 'timezone: Europe/Berlin, template: hourly, source: tiles');
    expect(byName(reordered)['tiles-hourly']!.digest).toBe(hourly.digest);
    const edits = [
      FILE.replace('template: hourly, timezone', 'template: daily, timezone'),
      FILE.replace('tags: [hourly]', 'tags: [hourly, more]'),
      FILE.replace('daily: 7, weekly: 4', 'daily: 8, weekly: 4'),
      FILE.replace('prune: { every: 24 }', 'prune: { every: 12 }'),
      FILE.replace('jitter: 5m,', 'jitter: 6m, overlap: buffer-one,'),
      FILE.replace('jitter: 5m,', 'jitter: 5m, enabled: false,'),
    ];
    for (const edited of edits) expect(byName(edited)['tiles-hourly']!.digest).not.toBe(hourly.digest);
    expect(desiredSchedules(parseConfig(FILE, 'meridian.yaml'), 'other-queue').find((s) => s.name === 'tiles-hourly')!.digest).not.toBe(hourly.digest);
  });
});
