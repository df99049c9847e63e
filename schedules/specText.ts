// How a Temporal Schedule's spec reads for an operator: the server keeps a cron expression as a
// structured calendar, so its ranges are written back as cron fields (`0 2 * * * Europe/Berlin`);
// intervals read `every 1s`, durations in the units of meridian.yaml (ms, s, m, h, d).

import { DAYS_OF_WEEK, MONTHS, type CalendarSpecDescription, type Range, type ScheduleSpecDescription } from '@temporalio/client';

const DURATION_UNITS: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A duration in the largest unit that divides it: 86400000 → `1d`, 5400000 → `90m`, 1500 → `1500ms`. */
export function durationText(ms: number): string {
  if (ms === 0) return '0s';
  const unit = DURATION_UNITS.find(([, size]) => ms % size === 0);
  return unit ? `${ms / unit[1]}${unit[0]}` : `${ms}ms`;
}

/** One cron field: `*` for the whole domain, `5`, `1-5`, `*\/15`, `1-10/3`, comma-separated. */
export function cronField(ranges: Range<number>[], min: number, max: number): string {
  if (ranges.length === 0) return '*';
  return ranges
    .map(({ start, end, step }) => {
      const last = Math.max(start, end);
      const span = start === min && last === max ? '*' : last === start ? String(start) : `${start}-${last}`;
      return step > 1 ? `${span}/${step}` : span;
    })
    .join(',');
}

const numbered = <Unit>(ranges: Range<Unit>[], names: readonly Unit[], first: number): Range<number>[] =>
  ranges.map((r) => ({ start: names.indexOf(r.start) + first, end: names.indexOf(r.end) + first, step: r.step }));

/** A calendar as a cron expression: minute hour day-of-month month day-of-week; seconds first and years last only when they restrict. */
export function calendarText(calendar: CalendarSpecDescription): string {
  const fields = [
    cronField(calendar.minute, 0, 59),
    cronField(calendar.hour, 0, 23),
    cronField(calendar.dayOfMonth, 1, 31),
    cronField(numbered(calendar.month, MONTHS, 1), 1, 12),
    cronField(numbered(calendar.dayOfWeek, DAYS_OF_WEEK, 0), 0, 6),
  ];
  const second = cronField(calendar.second, 0, 59);
  if (second !== '0') fields.unshift(second);
  if (calendar.year.length > 0) fields.push(cronField(calendar.year, Number.NaN, Number.NaN));
  return fields.join(' ');
}

/** The whole spec on one line: its calendars (in its time zone, UTC when none), its intervals and its jitter. */
export function specText(spec: ScheduleSpecDescription): string {
  const calendars = (spec.calendars ?? []).map(calendarText);
  const zone = calendars.length > 0 ? ` ${spec.timezone || 'UTC'}` : '';
  const intervals = (spec.intervals ?? []).map(({ every, offset }) => `every ${durationText(every)}${offset ? ` offset ${durationText(offset)}` : ''}`);
  const parts = [calendars.length > 0 ? `${calendars.join('; ')}${zone}` : '', ...intervals].filter((part) => part !== '');
  const jitter = spec.jitter ? ` (jitter ${durationText(spec.jitter)})` : '';
  return `${parts.join('; ') || 'no times'}${jitter}`;
}
