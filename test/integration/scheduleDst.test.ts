// Every template in Europe/Berlin across the 2027 daylight-saving changes (spring forward
// 2027-03-28 02:00 CET → 03:00 CEST; fall back 2027-10-31 03:00 CEST → 02:00 CET): the next run
// times Temporal computes for the spec schedules/desired.ts builds (created with a startAt just
// before each change, paused) match an independent computation, a minute-by-minute walk of UTC
// that reads Berlin's wall clock through Intl.DateTimeFormat, plus two rules stated here:
//   1. a wall-clock time that does not exist (02:00–02:59 on the spring day) has no run;
//   2. a wall-clock time that exists twice (02:00–02:59 on the fall day) has one run: at its first
//      (summer-time) occurrence when the previous run was in the wall-clock hour just before it
//      (hourly: 01:00 → 02:00 CEST → 03:00, no second 02:00), else at its second (standard-time)
//      occurrence (daily at 02:00 runs at 02:00 CET, 01:00 UTC).
// (Temporal's calendar walks wall-clock fields; its doc's "fires twice" is not what the server does.)

import type { ScheduleHandle } from '@temporalio/client';
import { parseConfig } from '../../config/load';
import { TEMPLATES, type Template } from '../../config/schema';
import { desiredSchedules } from '../../schedules/desired';
import { TEMPLATE_CRON } from '../../schedules/templates';
import { deleteSchedules } from '../helpers/schedules';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';

const ZONE = 'Europe/Berlin';
const CHANGES = [
  { change: 'spring forward', startAt: new Date('2027-03-27T20:00:00Z') },
  { change: 'fall back', startAt: new Date('2027-10-30T20:00:00Z') },
];
/** How far the walk goes: enough for 10 hourly, daily and weekly runs and the first monthly ones. */
const HORIZON_MS = 75 * 86_400_000;
const MINUTE = 60_000;

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const wallFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  weekday: 'short',
});
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function wallClock(instant: number): WallClock {
  const parts = Object.fromEntries(wallFormat.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour!, minute: +parts.minute!, weekday: WEEKDAYS.indexOf(parts.weekday!) };
}

/** A five-field cron of plain numbers and `*` (the templates'), matched against a wall clock. */
function matchesCron(cron: string, wall: WallClock): boolean {
  const [minute, hour, day, month, weekday] = cron.split(' ');
  const field = (spec: string, value: number) => spec === '*' || Number(spec) === value;
  return field(minute!, wall.minute) && field(hour!, wall.hour) && field(day!, wall.day) && field(month!, wall.month) && field(weekday!, wall.weekday);
}

const wallKey = (w: WallClock) => `${w.year}-${w.month}-${w.day} ${w.hour}:${w.minute}`;
const hourBefore = (a: WallClock, b: WallClock) => a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour - 1;

/** The run times after `startAt` by the walk and rules 1 and 2 above. */
function expectedRuns(cron: string, startAt: Date, walk: Array<{ instant: number; wall: WallClock }>): Date[] {
  const candidates = walk.filter((m) => m.instant >= startAt.getTime() && matchesCron(cron, m.wall)); // rule 1: a missing time is never walked
  const occurrences = new Map<string, number>();
  for (const c of candidates) occurrences.set(wallKey(c.wall), (occurrences.get(wallKey(c.wall)) ?? 0) + 1);
  const runs: Array<{ instant: number; wall: WallClock }> = [];
  /** Rule 2, decided at a repeated time's first occurrence: take that one, or the second. */
  const takeFirst = new Map<string, boolean>();
  for (const candidate of candidates) {
    const key = wallKey(candidate.wall);
    if (occurrences.get(key) === 1) {
      runs.push(candidate);
      continue;
    }
    const decided = takeFirst.get(key);
    if (decided === undefined) {
      const previous = runs[runs.length - 1];
      const first = previous !== undefined && hourBefore(previous.wall, candidate.wall);
      takeFirst.set(key, first);
      if (first) runs.push(candidate);
    } else if (!decided) {
      runs.push(candidate);
    }
  }
  return runs.map((r) => new Date(r.instant));
}

describe('templates in Europe/Berlin across daylight-saving changes', () => {
  let temporal: TestConnection;
  const handles: ScheduleHandle[] = [];

  beforeAll(async () => {
    temporal = await testConnection();
  });

  afterAll(async () => {
    await deleteSchedules(temporal.client, handles.map((h) => h.scheduleId));
    await temporal?.close();
  });

  const config = parseConfig(
    [
      'repositories: { gis: { url: /srv/gis } }',
      'sources: { tiles: { path: /data/tiles, repository: gis } }',
      'schedules:',
      ...TEMPLATES.map((template) => `  dst-${template}: { source: tiles, template: ${template}, timezone: ${ZONE} }`),
    ].join('\n'),
    'meridian.yaml',
  );

  it.each(CHANGES)('$change: every template runs when the wall-clock walk says', async ({ startAt }) => {
    const walk: Array<{ instant: number; wall: WallClock }> = [];
    for (let t = startAt.getTime(); t < startAt.getTime() + HORIZON_MS; t += MINUTE) walk.push({ instant: t, wall: wallClock(t) });
    const runId = uniqueTaskQueue('dst');
    for (const desired of desiredSchedules(config, runId)) {
      const template = desired.name.replace('dst-', '') as Template;
      expect(desired.options.spec).toEqual({ cronExpressions: [TEMPLATE_CRON[template]], timezone: ZONE });
      const handle = await temporal.client.schedule.create({
        ...desired.options,
        scheduleId: `${runId}-${desired.name}`,
        spec: { ...desired.options.spec, startAt },
        state: { paused: true, note: 'DST test: never runs' },
      });
      handles.push(handle);
      const { nextActionTimes } = (await handle.describe()).info;
      const horizon = startAt.getTime() + HORIZON_MS;
      const actual = nextActionTimes.filter((t) => t.getTime() < horizon - 2 * 3_600_000);
      expect(actual.length).toBeGreaterThan(template === 'monthly' ? 1 : 9);
      const expected = expectedRuns(TEMPLATE_CRON[template], startAt, walk).slice(0, actual.length);
      expect({ template, runs: actual.map((t) => t.toISOString()) }).toEqual({ template, runs: expected.map((t) => t.toISOString()) });
    }
  });

  it('the rules matter: on the change days the runs are the ones the README states', async () => {
    // Pin the DST behaviour itself, so a server that changes it fails here with a readable diff.
    const day = (from: string, to: string, cron: string) => {
      const start = new Date(from);
      const walk: Array<{ instant: number; wall: WallClock }> = [];
      for (let t = start.getTime(); t < new Date(to).getTime(); t += MINUTE) walk.push({ instant: t, wall: wallClock(t) });
      return expectedRuns(cron, start, walk).map((d) => d.toISOString());
    };
    expect(day('2027-03-27T22:30:00Z', '2027-03-28T02:30:00Z', TEMPLATE_CRON.hourly)).toEqual(['2027-03-27T23:00:00.000Z', '2027-03-28T00:00:00.000Z', '2027-03-28T01:00:00.000Z', '2027-03-28T02:00:00.000Z']);
    expect(day('2027-03-27T20:00:00Z', '2027-03-29T20:00:00Z', TEMPLATE_CRON.daily)).toEqual(['2027-03-29T00:00:00.000Z']);
    expect(day('2027-10-30T22:30:00Z', '2027-10-31T02:30:00Z', TEMPLATE_CRON.hourly)).toEqual(['2027-10-30T23:00:00.000Z', '2027-10-31T00:00:00.000Z', '2027-10-31T02:00:00.000Z']);
    expect(day('2027-10-30T20:00:00Z', '2027-10-31T20:00:00Z', TEMPLATE_CRON.daily)).toEqual(['2027-10-31T01:00:00.000Z']);
  });
});
