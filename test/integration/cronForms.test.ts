// Every form of cron expression that meridian.yaml accepts (config/cron.ts) is accepted by the
// Temporal server as schedules/desired.ts passes it, and fires when crontab(5) says: lists,
// ranges with steps, month and day names in either case, 7 for Sunday, the @ aliases. Times here
// were worked out by hand from a start just after Monday 2027-01-04 00:00 UTC. It also pins how
// Temporal combines a restricted day-of-month with a restricted day-of-week (the README says so).

import type { ScheduleHandle } from '@temporalio/client';
import { parseConfig } from '../../config/load';
import { desiredSchedules } from '../../schedules/desired';
import { deleteSchedules } from '../helpers/schedules';
import { testConnection, uniqueTaskQueue, type TestConnection } from '../helpers/temporal';

const START = new Date('2027-01-04T00:00:30Z');

const FORMS: Array<[cron: string, firstRuns: string[]]> = [
  ['*/15 * * * *', ['2027-01-04T00:15', '2027-01-04T00:30', '2027-01-04T00:45']],
  ['0 8-18/4 * * 1-5', ['2027-01-04T08:00', '2027-01-04T12:00', '2027-01-04T16:00', '2027-01-05T08:00']],
  ['0,30 0 1,15 JAN-MAR,dec *', ['2027-01-15T00:00', '2027-01-15T00:30', '2027-02-01T00:00', '2027-02-01T00:30', '2027-02-15T00:00']],
  ['0 3 * * 7', ['2027-01-10T03:00', '2027-01-17T03:00']],
  ['5 4 * * sun', ['2027-01-10T04:05', '2027-01-17T04:05']],
  ['0 6 * * MON,fri', ['2027-01-04T06:00', '2027-01-08T06:00', '2027-01-11T06:00']],
  ['@hourly', ['2027-01-04T01:00', '2027-01-04T02:00']],
  ['@daily', ['2027-01-05T00:00', '2027-01-06T00:00']],
  ['@weekly', ['2027-01-10T00:00', '2027-01-17T00:00']],
  ['@monthly', ['2027-02-01T00:00', '2027-03-01T00:00']],
];

describe('cron forms on the Temporal server', () => {
  let temporal: TestConnection;
  const handles: ScheduleHandle[] = [];

  beforeAll(async () => {
    temporal = await testConnection();
  });

  afterAll(async () => {
    await deleteSchedules(temporal.client, handles.map((h) => h.scheduleId));
    await temporal?.close();
  });

  /** The first run times Temporal computes for `cron` in UTC, as a paused Schedule built from meridian.yaml. */
  async function firstRuns(cron: string, count: number): Promise<string[]> {
    const config = parseConfig(`repositories: { gis: { url: /srv/gis } }\nsources: { tiles: { path: /data/tiles, repository: gis } }\nschedules:\n  forms: { source: tiles, cron: "${cron}" }\n`, 'meridian.yaml');
    const runId = uniqueTaskQueue('cron');
    const [desired] = desiredSchedules(config, runId);
    const handle = await temporal.client.schedule.create({
      ...desired!.options,
      scheduleId: `${runId}-forms`,
      spec: { ...desired!.options.spec, startAt: START },
      state: { paused: true, note: 'cron forms test: never runs' },
    });
    handles.push(handle);
    const { nextActionTimes } = (await handle.describe()).info;
    return nextActionTimes.slice(0, count).map((t) => t.toISOString().slice(0, 16));
  }

  it.each(FORMS)('%s', async (cron, expected) => {
    expect(await firstRuns(cron, expected.length)).toEqual(expected);
  });

  it('a restricted day-of-month and day-of-week', async () => {
    // Friday the 13th in 2027: August only. Both fields must match (Temporal's calendar), where
    // crontab(5) would run on every 13th and every Friday.
    expect(await firstRuns('0 12 13 * FRI', 2)).toEqual(['2027-08-13T12:00', '2028-10-13T12:00']);
  });
});
