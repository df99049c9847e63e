// `meridian apply` through the real CLI against the test Temporal server: the first apply creates
// each schedule with the right spec, policies and action; a second apply is all unchanged and
// updates nothing (an operator's pause stays); an edit updates that Schedule alone; a removed
// entry deletes that Schedule alone (a foreign Schedule and the other Meridian ones stay);
// --dry-run changes nothing; `enabled: false` pauses with a note. Config errors (an unknown key, a
// missing source, a bad cron, a missing password file) are one line naming file, line and key,
// exit 2, and create nothing; an unreachable Temporal exits 4.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ScheduleDescription } from '@temporalio/client';
import { SCHEDULE_DIGEST_MEMO } from '../../schedules/names';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';
import { createForeignSchedule, deleteSchedules, scheduleExists } from '../helpers/schedules';
import { tempDir } from '../helpers/trees';

interface ApplyJson {
  plan: Array<{ name: string; id: string; action: string; why: string; schedule?: string }>;
  applied: boolean;
}

let work: string;
let env: NodeJS.ProcessEnv;
let temporal: TestConnection;
let configFile: string;
/** Unique schedule names of this run (other runs on the same server never collide). */
const run = uniqueTaskQueue('ap').replace(/[^A-Za-z0-9-]/g, '-');
const names = { hourly: `${run}-tiles-hourly`, daily: `${run}-rasters-daily`, scrub: `${run}-scrub`, extra: `${run}-extra` };
const foreignId = `${run}-foreign`;

const meridian = (...args: string[]) => runMeridian(args, { cwd: work, env, timeoutMs: 60_000 });
const apply = async (...args: string[]) => parseJson<ApplyJson>(await meridian('apply', '--config', configFile, '--json', ...args));
const actions = (result: ApplyJson) => Object.fromEntries(result.plan.filter((e) => Object.values(names).includes(e.name)).map((e) => [e.name, e.action]));
const describe_ = (name: string) => temporal.client.schedule.getHandle(`meridian:${name}`).describe();
/** A meridian.yaml with the given schedule lines (and a scrub schedule unless `scrub` is false). */
function writeConfig(schedules: { daily?: string; hourly?: string; scrub?: boolean; extra?: string }): void {
  const lines = [
    'repositories:',
    `  gis: { url: ${path.join(work, 'repo')}, passwordFile: ${path.join(work, 'gis.pass')} }`,
    'sources:',
    `  tiles: { path: ${path.join(work, 'tiles')}, repository: gis, tags: [tiles], exclude: ['*.tmp'] }`,
    `  rasters: { path: ${path.join(work, 'rasters')}, repository: gis, host: raster-01 }`,
    'policies:',
    '  gfs: { gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 }, timezone: Europe/Berlin }',
    'schedules:',
    `  ${names.hourly}: { source: tiles, template: hourly, timezone: Europe/Berlin, policy: gfs, prune: { every: 24 }, jitter: 2m${schedules.hourly ?? ''} }`,
    `  ${names.daily}: { source: rasters, ${schedules.daily ?? 'cron: "15 1 * * *"'}, type: full, overlap: buffer-one, catchupWindow: 6h }`,
    ...(schedules.scrub === false ? [] : [`  ${names.scrub}: { repository: gis, template: weekly, scrub: { cycle: 4 } }`]),
    ...(schedules.extra ? [`  ${names.extra}: ${schedules.extra}`] : []),
  ];
  writeFileSync(configFile, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  work = tempDir('apply');
  configFile = path.join(work, 'meridian.yaml');
  writeFileSync(path.join(work, 'gis.pass'), 'not used by apply\n');
  env = meridianEnv(work, 'apply', 'unused');
  temporal = await testConnection();
  await createForeignSchedule(temporal.client, foreignId);
});

afterAll(async () => {
  await deleteSchedules(temporal.client, [foreignId, ...Object.values(names).map((n) => `meridian:${n}`)]);
  await temporal?.close();
});

describe('meridian apply', () => {
  let first: { hourly: ScheduleDescription; daily: ScheduleDescription; scrub: ScheduleDescription };

  it('creates each schedule with its spec, policies and action, and the memos that mark it as applied', async () => {
    writeConfig({});
    const result = await apply();
    expect(result.applied).toBe(true);
    expect(actions(result)).toEqual({ [names.hourly]: 'create', [names.daily]: 'create', [names.scrub]: 'create' });
    expect(result.plan.find((e) => e.name === names.hourly)!.schedule).toBe('hourly (0 * * * *) Europe/Berlin + jitter 120s → backup tiles');

    first = { hourly: await describe_(names.hourly), daily: await describe_(names.daily), scrub: await describe_(names.scrub) };
    const { hourly, daily, scrub } = first;
    expect(hourly.spec.timezone).toBe('Europe/Berlin');
    expect(hourly.spec.calendars).toEqual([expect.objectContaining({ minute: [{ start: 0, end: 0, step: 1 }], hour: [{ start: 0, end: 23, step: 1 }] })]);
    expect(hourly.spec.jitter).toBe(120_000);
    expect(hourly.policies).toEqual({ overlap: 'SKIP', catchupWindow: 3_600_000, pauseOnFailure: false });
    expect(hourly.state.paused).toBe(false);
    expect(hourly.memo).toEqual({ managedBy: 'meridian apply', config: configFile });
    expect(hourly.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledBackupWorkflow', taskQueue: env.MERIDIAN_TASK_QUEUE, workflowId: `scheduled-backup:${names.hourly}` });
    expect(hourly.action.memo?.[SCHEDULE_DIGEST_MEMO]).toMatch(/^[0-9a-f]{64}$/);
    expect(hourly.action.args).toEqual([
      {
        schedule: names.hourly,
        backup: { repo: 'gis', path: path.join(work, 'tiles'), tags: ['tiles'], exclude: ['*.tmp'] },
        retention: { policy: { gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 } }, timezone: 'Europe/Berlin' },
        prune: { every: 24 },
      },
    ]);
    expect(JSON.stringify(hourly.action.args)).not.toContain('gis.pass');

    expect(daily.spec.timezone ?? 'UTC').toBe('UTC');
    expect(daily.spec.calendars).toEqual([expect.objectContaining({ minute: [{ start: 15, end: 15, step: 1 }], hour: [{ start: 1, end: 1, step: 1 }] })]);
    expect(daily.policies).toEqual({ overlap: 'BUFFER_ONE', catchupWindow: 21_600_000, pauseOnFailure: false });
    expect(daily.action.args).toEqual([{ schedule: names.daily, backup: { repo: 'gis', path: path.join(work, 'rasters'), type: 'full', host: 'raster-01' } }]);

    expect(scrub.spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 3, end: 3, step: 1 }], dayOfWeek: [{ start: 'SUNDAY', end: 'SUNDAY', step: 1 }] })]);
    expect(scrub.action).toMatchObject({ workflowType: 'scrubWorkflow', workflowId: `scheduled-scrub:${names.scrub}`, args: [{ schedule: names.scrub, repo: 'gis', cycle: 4 }] });
  });

  it('a second apply is all unchanged, updates nothing, and leaves an operator pause in place', async () => {
    await temporal.client.schedule.getHandle(`meridian:${names.hourly}`).pause('maintenance window');
    const paused = await describe_(names.hourly);
    const result = await apply();
    expect(actions(result)).toEqual({ [names.hourly]: 'unchanged', [names.daily]: 'unchanged', [names.scrub]: 'unchanged' });
    expect(result.plan.find((e) => e.name === names.hourly)!.why).toBe('matches meridian.yaml; stays paused: maintenance window');
    const after = await describe_(names.hourly);
    expect(after.state).toMatchObject({ paused: true, note: 'maintenance window' });
    expect(after.info.lastUpdatedAt).toEqual(paused.info.lastUpdatedAt);
    for (const name of [names.daily, names.scrub]) {
      const key = name === names.daily ? 'daily' : 'scrub';
      expect((await describe_(name)).info.lastUpdatedAt).toEqual(first[key].info.lastUpdatedAt);
    }
  });

  it('the human plan has one line per schedule and a summary', async () => {
    const result = await meridian('apply', '--config', configFile);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain(`unchanged ${names.daily}  cron (15 1 * * *) UTC → backup rasters`);
    expect(lines).toContain(`unchanged ${names.hourly}  hourly (0 * * * *) Europe/Berlin + jitter 120s → backup tiles (matches meridian.yaml; stays paused: maintenance window)`);
    expect(lines[lines.length - 1]).toMatch(/^created 0, updated 0, deleted 0; \d+ unchanged$/);
  });

  it('an edited entry is updated, alone, and the update sets the pause from enabled', async () => {
    writeConfig({ daily: 'template: daily, timezone: Europe/Berlin', hourly: ', enabled: false' });
    const result = await apply();
    expect(actions(result)).toEqual({ [names.hourly]: 'update', [names.daily]: 'update', [names.scrub]: 'unchanged' });
    const daily = await describe_(names.daily);
    expect(daily.spec.timezone).toBe('Europe/Berlin');
    expect(daily.spec.calendars).toEqual([expect.objectContaining({ minute: [{ start: 0, end: 0, step: 1 }], hour: [{ start: 2, end: 2, step: 1 }] })]);
    expect(daily.action.memo?.[SCHEDULE_DIGEST_MEMO]).not.toBe(first.daily.action.memo?.[SCHEDULE_DIGEST_MEMO]);
    expect(daily.state.paused).toBe(false);
    expect(daily.info.lastUpdatedAt).not.toEqual(first.daily.info.lastUpdatedAt);
    expect((await describe_(names.hourly)).state).toMatchObject({ paused: true, note: 'disabled in meridian.yaml' });
    expect((await describe_(names.scrub)).info.lastUpdatedAt).toEqual(first.scrub.info.lastUpdatedAt);

    writeConfig({ daily: 'template: daily, timezone: Europe/Berlin' });
    expect(actions(await apply())).toEqual({ [names.hourly]: 'update', [names.daily]: 'unchanged', [names.scrub]: 'unchanged' });
    expect((await describe_(names.hourly)).state.paused).toBe(false);
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    writeConfig({ daily: 'cron: "45 4 * * *"', scrub: false, extra: '{ source: tiles, every: 1h }' });
    const before = await describe_(names.daily);
    const result = await apply('--dry-run');
    expect(result.applied).toBe(false);
    expect(actions(result)).toEqual({ [names.hourly]: 'unchanged', [names.daily]: 'update', [names.scrub]: 'delete', [names.extra]: 'create' });
    expect(await scheduleExists(temporal.client, `meridian:${names.extra}`)).toBe(false);
    expect(await scheduleExists(temporal.client, `meridian:${names.scrub}`)).toBe(true);
    expect((await describe_(names.daily)).info.lastUpdatedAt).toEqual(before.info.lastUpdatedAt);
    const human = await meridian('apply', '--config', configFile, '--dry-run');
    expect(human.stdout.trim().split('\n').pop()).toMatch(/^dry run, nothing changed: would create 1, update 1, delete 1; \d+ unchanged$/);
  });

  it('a removed entry deletes that Schedule and nothing else', async () => {
    writeConfig({ daily: 'template: daily, timezone: Europe/Berlin', scrub: false });
    const result = await apply();
    expect(actions(result)).toEqual({ [names.hourly]: 'unchanged', [names.daily]: 'unchanged', [names.scrub]: 'delete' });
    expect(result.plan.find((e) => e.name === names.scrub)).toMatchObject({ id: `meridian:${names.scrub}`, why: 'no longer in meridian.yaml' });
    expect(await scheduleExists(temporal.client, `meridian:${names.scrub}`)).toBe(false);
    expect(await scheduleExists(temporal.client, `meridian:${names.hourly}`)).toBe(true);
    expect(await scheduleExists(temporal.client, `meridian:${names.daily}`)).toBe(true);
    expect(await scheduleExists(temporal.client, foreignId)).toBe(true);
    expect(result.plan.some((e) => e.id === foreignId || e.name === foreignId)).toBe(false);
  });
});

describe('meridian apply refuses a bad file before any Temporal call', () => {
  const GOOD = (extra: string, repository = '') => [
    'repositories:',
    `  gis: { url: /srv/gis, passwordFile: PASSFILE${repository} }`,
    'sources:',
    '  tiles: { path: /data/tiles, repository: gis }',
    'schedules:',
    `  ${names.extra}: { source: tiles, template: hourly }`,
    extra,
  ];
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown key', GOOD(`  ${run}-bad: { source: tiles, template: hourly, colour: blue }`), new RegExp(`:7: schedules\\.${run}-bad\\.colour: `)],
    ['a missing source', GOOD(`  ${run}-bad: { source: rasters, template: hourly }`), new RegExp(`:7: schedules\\.${run}-bad\\.source: no source named "rasters"`)],
    ['a bad cron expression', GOOD(`  ${run}-bad: { source: tiles, cron: "61 * * * *" }`), new RegExp(`:7: schedules\\.${run}-bad\\.cron: bad cron "61 \\* \\* \\* \\*"`)],
    ['a missing password file', GOOD('', '-missing'), /:2: repositories\.gis\.passwordFile: cannot read password file .*-missing: ENOENT/],
  ];

  it.each(cases)('%s: one line FILE:LINE: key: message, exit 2, no Schedule', async (_what, lines, expected) => {
    const file = path.join(work, 'bad.yaml');
    writeFileSync(file, `${lines.join('\n').replace('PASSFILE', path.join(work, 'gis.pass'))}\n`);
    const result = await meridian('apply', '--config', file);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const stderr = result.stderr.trim().split('\n');
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(new RegExp(`^meridian: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
    expect(stderr[0]).toMatch(expected);
    expect(await scheduleExists(temporal.client, `meridian:${names.extra}`)).toBe(false);
    expect(await scheduleExists(temporal.client, `meridian:${run}-bad`)).toBe(false);
  });

  it('an unreachable Temporal exits 4 and says so', async () => {
    writeConfig({});
    const result = await runMeridian(['apply', '--config', configFile], { cwd: work, env: { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' }, timeoutMs: 60_000 });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
  });
});
