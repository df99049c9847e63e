// The pure parts of `meridian schedule`: a Schedule's spec in words (the calendars below are as
// the dev server describes the cron expressions named in each case), durations, the overlap a
// trigger passes, the backfill window, and the lines printed for people.

import type { CalendarSpecDescription, DayOfWeek, Month, Range } from '@temporalio/client';
import { pauseLines, scheduleLines, scheduleListLines, triggerLines } from '../../cli/commands/schedule';
import { backfillWindow, triggerOverlap, type ScheduleView } from '../../schedules/inspect';
import { calendarText, durationText, specText } from '../../schedules/specText';

const r = <U>(start: U, end: U = start, step = 1): Range<U> => ({ start, end, step });
const EVERY = {
  second: [r(0)],
  minute: [r(0, 59)],
  hour: [r(0, 23)],
  dayOfMonth: [r(1, 31)],
  month: [r<Month>('JANUARY', 'DECEMBER')],
  year: [] as Range<number>[],
  dayOfWeek: [r<DayOfWeek>('SUNDAY', 'SATURDAY')],
};
const calendar = (fields: Partial<CalendarSpecDescription>): CalendarSpecDescription => ({ ...EVERY, ...fields });

describe('calendarText writes the server’s calendar back as the cron expression it came from', () => {
  it.each<[string, Partial<CalendarSpecDescription>]>([
    ['0 2 * * *', { minute: [r(0)], hour: [r(2)] }],
    ['*/15 * * * *', { minute: [r(0, 59, 15)] }],
    ['0 3 * * 0', { minute: [r(0)], hour: [r(3)], dayOfWeek: [r<DayOfWeek>('SUNDAY')] }],
    ['0 4 1 * *', { minute: [r(0)], hour: [r(4)], dayOfMonth: [r(1)] }],
    ['0 9-17 * * 1-5', { minute: [r(0)], hour: [r(9, 17)], dayOfWeek: [r<DayOfWeek>('MONDAY', 'FRIDAY')] }],
    ['0 0,12 * * *', { minute: [r(0)], hour: [r(0), r(12)] }],
    ['30 */2 1-10/3 * 0', { minute: [r(30)], hour: [r(0, 23, 2)], dayOfMonth: [r(1, 10, 3)], dayOfWeek: [r<DayOfWeek>('SUNDAY')] }],
    ['0 3 1 1 *', { minute: [r(0)], hour: [r(3)], dayOfMonth: [r(1)], month: [r<Month>('JANUARY')] }],
    ['30 0 2 * * *', { second: [r(30)], minute: [r(0)], hour: [r(2)] }],
    ['0 2 * * * 2027', { minute: [r(0)], hour: [r(2)], year: [r(2027)] }],
  ])('%s', (cron, fields) => {
    expect(calendarText(calendar(fields))).toBe(cron);
  });
});

describe('specText', () => {
  it('names the time zone of calendars, UTC when the spec has none', () => {
    expect(specText({ calendars: [calendar({ minute: [r(0)], hour: [r(2)] })], timezone: 'Europe/Berlin' })).toBe('0 2 * * * Europe/Berlin');
    expect(specText({ calendars: [calendar({ minute: [r(0)] })], timezone: '' })).toBe('0 * * * * UTC');
  });
  it('writes intervals with their offset, and the jitter', () => {
    expect(specText({ intervals: [{ every: 1000, offset: 0 }], timezone: '' })).toBe('every 1s');
    expect(specText({ intervals: [{ every: 5_400_000, offset: 300_000 }], jitter: 300_000 })).toBe('every 90m offset 5m (jitter 5m)');
  });
  it('says when a spec gives no times', () => {
    expect(specText({ calendars: [], intervals: [] })).toBe('no times');
  });
});

test.each([
  [0, '0s'],
  [1000, '1s'],
  [1500, '1500ms'],
  [90_000, '90s'],
  [3_600_000, '1h'],
  [86_400_000, '1d'],
  [365 * 86_400_000, '365d'],
])('durationText(%i) = %s', (ms, text) => {
  expect(durationText(ms)).toBe(text);
});

test('a trigger passes the schedule’s own overlap policy, and never ALLOW_ALL', () => {
  expect(triggerOverlap('SKIP')).toBe('SKIP');
  expect(triggerOverlap('BUFFER_ONE')).toBe('BUFFER_ONE');
  expect(triggerOverlap('ALLOW_ALL')).toBe('SKIP');
  expect(triggerOverlap(undefined)).toBe('SKIP');
});

describe('backfillWindow', () => {
  it('takes two times with a zone, the second after the first', () => {
    expect(backfillWindow('2026-11-01T00:00:00+01:00', '2026-11-03T00:00:00Z')).toEqual({
      from: new Date('2026-10-31T23:00:00Z'),
      to: new Date('2026-11-03T00:00:00Z'),
    });
  });
  it.each([
    ['2026-11-01', '2026-11-03T00:00:00Z', /--from must be an ISO 8601 date-time with a zone/],
    ['2026-11-01T00:00:00Z', 'tomorrow', /--to must be an ISO 8601 date-time with a zone.*\(got "tomorrow"\)/],
    ['2026-11-03T00:00:00Z', '2026-11-01T00:00:00Z', /--to \(2026-11-01T00:00:00Z\) must be after --from/],
    ['2026-11-03T00:00:00Z', '2026-11-03T01:00:00+01:00', /must be after --from/],
  ])('refuses %s → %s', (from, to, message) => {
    expect(() => backfillWindow(from, to)).toThrow(expect.objectContaining({ code: 'invalid-argument', message: expect.stringMatching(message) }));
  });
});

describe('lines for people', () => {
  const view: ScheduleView = {
    name: 'rasters',
    kind: 'backup',
    spec: '0 2 * * * Europe/Berlin',
    paused: true,
    note: 'storage migration',
    nextRun: '2026-12-01T01:00:00.000Z',
    overlap: 'SKIP',
    catchupWindowMs: 3_600_000,
    nextRuns: ['2026-12-01T01:00:00.000Z', '2026-12-02T01:00:00.000Z'],
    recentRuns: [{ scheduledAt: '2026-11-29T01:00:00.000Z', takenAt: '2026-11-29T01:00:00.100Z', workflowId: 'scheduled-backup:rasters-2026-11-29T01:00:00Z', outcome: 'completed' }],
    openRuns: [],
    actionsTaken: 7,
    missedCatchupWindow: 1,
    skippedOverlap: 2,
  };

  it('lists schedules in a table, a paused one with its note and no next run', () => {
    const lines = scheduleListLines([view, { name: 'tiles', kind: 'backup', spec: '0 * * * * UTC', paused: false, nextRun: null }]);
    expect(lines[0]).toMatch(/^NAME +KIND +SPEC +NEXT RUN +STATE$/);
    expect(lines[1]).toMatch(/^rasters +backup +0 2 \* \* \* Europe\/Berlin +- +paused: storage migration$/);
    expect(lines[2]).toMatch(/^tiles +backup +0 \* \* \* \* UTC +- +active$/);
    expect(lines[3]).toBe('2 schedules');
    expect(scheduleListLines([])).toEqual(['no schedules (meridian apply creates them from meridian.yaml)']);
  });

  it('describes the counters, the policies and each last run with its outcome', () => {
    const text = scheduleLines(view).join('\n');
    expect(text).toContain('schedule rasters (backup)');
    expect(text).toContain('state:      paused: storage migration');
    expect(text).toContain('overlap:    SKIP; catch-up window 1h');
    expect(text).toContain('7 taken, 1 missed (outside the catch-up window), 2 skipped (a run was still open)');
    expect(text).toMatch(/completed +scheduled-backup:rasters-2026-11-29T01:00:00Z/);
  });

  it('says what a trigger did', () => {
    const base = { name: 'tiles', overlap: 'SKIP' as const, openRuns: [] };
    expect(triggerLines({ ...base, outcome: 'started', workflowId: 'w1' })).toEqual(['triggered schedule tiles: started w1']);
    expect(triggerLines({ ...base, outcome: 'skipped', openRuns: ['w0'] })[0]).toBe(
      'triggered schedule tiles: no run started, a run is still open and the overlap policy is SKIP (open: w0)',
    );
    expect(triggerLines({ ...base, overlap: 'BUFFER_ONE', outcome: 'queued', openRuns: ['w0'] })[0]).toMatch(/queued \(overlap policy BUFFER_ONE\)/);
    expect(pauseLines({ name: 'tiles', paused: true, note: 'n' })).toEqual(['paused schedule tiles (note: n)']);
  });
});
