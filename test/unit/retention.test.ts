// Retention policies: properties over seeded random histories and policies (every rule, Meridian's
// caps included), then the calendar edge cases (time zones, ISO weeks, daylight-saving hours),
// durations, bad policies and the interplay of maxAgeDays / maxKeep / minKeep with restic's rules.
// restic itself is the oracle of the restic rules in test/integration/retentionOracle.test.ts.

import { applyRetention, formatDuration, isoWeek, parseDuration, type RetentionOptions, type RetentionPolicy, type RetentionSnapshot } from '../../core/retention';
import { Choices, randomHistory, randomResticPolicy } from '../helpers/retentionHistories';

const SEED = Number(process.env.RETENTION_SEED ?? Date.now() % 1_000_000);
const TAGS = ['prod', 'gis', 'weekly'];
const NOW = new Date('2026-06-01T00:00:00Z');

function snapshots(choices: Choices, count: number): RetentionSnapshot[] {
  return randomHistory(choices, { count, hosts: ['alpha', 'beta'], sources: ['/data/a', '/data/b'], tags: TAGS }).map((entry, i) => ({
    id: i.toString(16).padStart(8, '0'),
    time: entry.time.toISOString(),
    host: entry.host,
    source: entry.source,
    tags: entry.tags,
  }));
}

/** Any valid policy: restic's rules (sometimes unlimited counts), maxAgeDays, minKeep, maxKeep. */
function randomPolicy(choices: Choices): RetentionPolicy {
  const policy: RetentionPolicy = choices.chance(0.85) ? randomResticPolicy(choices, TAGS) : {};
  for (const rule of ['keepDaily', 'keepWeekly', 'keepMonthly'] as const) if (policy[rule] !== undefined && choices.chance(0.2)) policy[rule] = -1;
  if (choices.chance(0.3)) policy.maxAgeDays = choices.int(1, 2000);
  if (choices.chance(0.3)) policy.maxKeep = choices.int(1, 12);
  if (choices.chance(0.3)) policy.minKeep = choices.int(0, policy.maxKeep ?? 6);
  if (Object.keys(policy).filter((rule) => rule !== 'minKeep').length === 0) policy.maxAgeDays = choices.int(1, 2000);
  return policy;
}

const ids = (list: { id: string }[]) => list.map((s) => s.id);

describe(`retention properties (seed ${SEED})`, () => {
  const choices = new Choices(SEED);
  const cases = Array.from({ length: 400 }, () => {
    const history = snapshots(choices, choices.int(1, 60));
    const policy = randomPolicy(choices);
    const options: RetentionOptions = {
      groupBy: choices.pick(['host,source', 'host', 'source', 'tags', 'none'] as const),
      timezone: choices.pick(['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe']),
      now: NOW,
      allowEmpty: policy.minKeep === 0 || choices.chance(0.3),
    };
    return { history, policy, options, decisions: applyRetention(history, policy, options) };
  });
  const describeCase = (c: (typeof cases)[number]) => `seed ${SEED}: policy ${JSON.stringify(c.policy)}, options ${JSON.stringify(c.options)}`;

  test('every snapshot is in exactly one keep or remove list, each list newest first', () => {
    for (const c of cases) {
      const decided = c.decisions.flatMap((g) => [...ids(g.keep), ...ids(g.remove)]);
      expect({ case: describeCase(c), decided: [...decided].sort() }).toEqual({ case: describeCase(c), decided: ids(c.history).sort() });
      for (const group of c.decisions) {
        for (const list of [group.keep, group.remove]) {
          const times = list.map((s) => Date.parse(s.time));
          expect(times).toEqual([...times].sort((a, b) => b - a));
        }
      }
    }
  });

  test('no group is emptied without allowEmpty, minKeep and maxKeep hold, every kept snapshot has a reason', () => {
    for (const c of cases) {
      const minKeep = c.policy.minKeep ?? (c.options.allowEmpty ? 0 : 1);
      for (const group of c.decisions) {
        const size = group.keep.length + group.remove.length;
        const context = `${describeCase(c)}, group ${JSON.stringify(group.key)}`;
        if (!c.options.allowEmpty) expect({ context, kept: group.keep.length > 0 }).toEqual({ context, kept: true });
        expect({ context, enough: group.keep.length >= Math.min(minKeep, size) }).toEqual({ context, enough: true });
        if (c.policy.maxKeep !== undefined) expect({ context, capped: group.keep.length <= c.policy.maxKeep }).toEqual({ context, capped: true });
        for (const kept of group.keep) expect(kept.reasons.length).toBeGreaterThan(0);
      }
    }
  });

  test('the newest snapshot of each group is kept (unless allowEmpty lets maxAgeDays or keepTags drop it)', () => {
    for (const c of cases) {
      const countOrWindow = Object.keys(c.policy).some((rule) => /^keep(Last|Hourly|Daily|Weekly|Monthly|Yearly|Within)|^gfs$/.test(rule));
      if (c.policy.minKeep === 0 || (c.options.allowEmpty && c.policy.minKeep === undefined && (c.policy.maxAgeDays !== undefined || !countOrWindow))) continue;
      for (const group of c.decisions) {
        const newest = [...group.keep, ...group.remove].sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0]!;
        expect({ case: describeCase(c), kept: ids(group.keep).includes(newest.id) }).toEqual({ case: describeCase(c), kept: true });
      }
    }
  });

  test('no kept snapshot is older than maxAgeDays unless a keepTags entry or min-keep holds it', () => {
    for (const c of cases.filter((c) => c.policy.maxAgeDays !== undefined)) {
      const oldestAllowed = NOW.getTime() - c.policy.maxAgeDays! * 86_400_000;
      for (const kept of c.decisions.flatMap((g) => g.keep)) {
        if (Date.parse(kept.time) >= oldestAllowed) continue;
        expect({ case: describeCase(c), reasons: kept.reasons.filter((r) => r.startsWith('tag ') || r === 'min-keep').length > 0 }).toEqual({ case: describeCase(c), reasons: true });
      }
    }
  });

  test('the result does not depend on the order of the input', () => {
    for (const c of cases.slice(0, 100)) {
      const reversed = applyRetention([...c.history].reverse(), c.policy, c.options);
      expect(reversed).toEqual(c.decisions);
    }
  });

  test('-1 (unlimited) keeps what a count larger than the history keeps', () => {
    for (const c of cases.slice(0, 150)) {
      const unlimited = { ...c.policy, keepWeekly: -1 };
      const large = { ...c.policy, keepWeekly: 1000 };
      if (unlimited.gfs) continue;
      expect(applyRetention(c.history, unlimited, c.options)).toEqual(applyRetention(c.history, large, c.options));
    }
  });
});

const snap = (id: string, time: string, extra: Partial<RetentionSnapshot> = {}): RetentionSnapshot => ({ id, time, host: 'h', source: '/s', tags: [], ...extra });
const decide = (history: RetentionSnapshot[], policy: RetentionPolicy, options: RetentionOptions = {}) => {
  const groups = applyRetention(history, policy, { now: NOW, timezone: 'UTC', ...options });
  return Object.fromEntries(groups.flatMap((g) => [...g.keep.map((s) => [s.id, s.reasons] as const), ...g.remove.map((s) => [s.id, null] as const)]));
};

describe('calendar buckets in a time zone', () => {
  // Two on the evening of Jan 1 UTC, two after midnight UTC.
  const history = [snap('t1', '2024-01-01T10:00:00Z'), snap('t2', '2024-01-01T20:00:00Z'), snap('t3', '2024-01-02T02:00:00Z'), snap('t4', '2024-01-02T03:00:00Z')];

  test('days change at the zone midnight; the snapshot times stay UTC', () => {
    expect(decide(history, { keepDaily: 2 }, { timezone: 'UTC' })).toEqual({ t4: ['daily snapshot'], t3: null, t2: ['daily snapshot'], t1: null });
    // Tokyo (+9): t2, t3, t4 fall on Jan 2, t1 on Jan 1.
    expect(decide(history, { keepDaily: 2 }, { timezone: 'Asia/Tokyo' })).toEqual({ t4: ['daily snapshot'], t3: null, t2: null, t1: ['daily snapshot'] });
    // Los Angeles (-8): all on Jan 1; the rule has a count left at the end, so the oldest is kept.
    expect(decide(history, { keepDaily: 2 }, { timezone: 'America/Los_Angeles' })).toEqual({ t4: ['daily snapshot'], t3: null, t2: null, t1: ['oldest daily snapshot'] });
    const [group] = applyRetention(history, { keepDaily: 2 }, { now: NOW, timezone: 'Asia/Tokyo' });
    expect(group!.keep.map((s) => s.time)).toEqual(['2024-01-02T03:00:00Z', '2024-01-01T10:00:00Z']);
  });

  test('the repeated hour of a fall-back night is one hourly bucket', () => {
    // Paris, Oct 27 2024: 00:30Z is 02:30 CEST, 01:30Z is 02:30 CET, 02:30Z is 03:30 CET.
    const night = [snap('before', '2024-10-26T20:00:00Z'), snap('first', '2024-10-27T00:30:00Z'), snap('second', '2024-10-27T01:30:00Z'), snap('after', '2024-10-27T02:30:00Z')];
    expect(decide(night, { keepHourly: 3 }, { timezone: 'Europe/Paris' })).toEqual({ after: ['hourly snapshot'], second: ['hourly snapshot'], first: null, before: ['hourly snapshot'] });
    expect(decide(night, { keepHourly: 3 }, { timezone: 'UTC' })).toEqual({ after: ['hourly snapshot'], second: ['hourly snapshot'], first: ['hourly snapshot'], before: null });
  });

  test('ISO weeks: week 53, and week 1 starting in December', () => {
    expect(isoWeek(2021, 1, 3)).toEqual({ year: 2020, week: 53 });
    expect(isoWeek(2021, 1, 4)).toEqual({ year: 2021, week: 1 });
    expect(isoWeek(2025, 12, 29)).toEqual({ year: 2026, week: 1 });
    expect(isoWeek(2024, 12, 29)).toEqual({ year: 2024, week: 52 });
    expect(isoWeek(2026, 6, 1)).toEqual({ year: 2026, week: 23 });
    // Sunday Jan 3 2021 and Monday Dec 28 2020 share ISO week 2020-53; Monday Jan 4 starts a new one.
    const turn = [snap('dec28', '2020-12-28T12:00:00Z'), snap('jan3', '2021-01-03T12:00:00Z'), snap('jan4', '2021-01-04T12:00:00Z'), snap('older', '2020-12-20T12:00:00Z')];
    expect(decide(turn, { keepWeekly: 3 })).toEqual({ jan4: ['weekly snapshot'], jan3: ['weekly snapshot'], dec28: null, older: ['weekly snapshot'] });
  });

  test('keepWithin counts calendar units on the zone wall clock from the newest snapshot', () => {
    // Newest: Apr 1 2024 12:00 CEST; 3 days before on the wall clock is Mar 29 12:00 CET = 11:00Z,
    // 71 hours earlier, not 72: the spring-forward night was an hour short.
    const spring = [snap('newest', '2024-04-01T10:00:00Z'), snap('inside', '2024-03-29T11:30:00Z'), snap('outside', '2024-03-29T10:30:00Z')];
    expect(decide(spring, { keepWithin: '3d' }, { timezone: 'Europe/Paris', allowEmpty: true })).toEqual({ newest: ['within 3d'], inside: ['within 3d'], outside: null });
    expect(decide(spring, { keepWithin: '3d' }, { timezone: 'UTC', allowEmpty: true })).toEqual({ newest: ['within 3d'], inside: ['within 3d'], outside: ['within 3d'] });
    // One month before Mar 31 is "Feb 31", which Go (and restic) normalize to Mar 2.
    const monthEnd = [snap('newest', '2024-03-31T10:00:00Z'), snap('mar2', '2024-03-02T10:30:00Z'), snap('feb29', '2024-02-29T12:00:00Z')];
    expect(decide(monthEnd, { keepWithin: '1m' }, { allowEmpty: true })).toEqual({ newest: ['within 1m'], mar2: ['within 1m'], feb29: null });
  });

  test('snapshots dated after now do not move the keepWithin window', () => {
    const history2 = [snap('future', '2027-01-01T00:00:00Z'), snap('latest', '2026-05-30T00:00:00Z'), snap('old', '2026-05-01T00:00:00Z')];
    expect(decide(history2, { keepWithin: '7d' }, { allowEmpty: true })).toEqual({ future: ['within 7d'], latest: ['within 7d'], old: null });
  });
});

describe('durations', () => {
  test("restic's syntax, each unit once, printed in restic's order", () => {
    expect(parseDuration('1y2m3d4h')).toEqual({ years: 1, months: 2, days: 3, hours: 4 });
    expect(parseDuration(' 30d ')).toEqual({ years: 0, months: 0, days: 30, hours: 0 });
    expect(formatDuration(parseDuration('4h3d'))).toBe('3d4h');
    for (const bad of ['', '5', 'd', '1w', '1d1d', '0d', '-1d', '1.5d', '2 d']) expect(() => parseDuration(bad)).toThrow(/duration/);
  });
});

describe('bad policies and options are refused in one line', () => {
  const one = [snap('a', '2026-01-01T00:00:00Z')];
  test.each([
    [{}, /no rule/],
    [{ minKeep: 2 }, /no rule/],
    [{ gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 }, keepDaily: 3 }, /gfs and keepDaily/],
    [{ keepDaily: 3, minKeep: 5, maxKeep: 2 }, /minKeep 5 is more than maxKeep 2/],
    [{ keepDaily: -2 }, /keepDaily/],
    [{ keepWithin: '3w' }, /keepWithin: not a duration/],
    [{ keepDaily: 3, keepForever: true }, /unrecognized|keepForever/i],
    [{ keepTags: ['a b'] }, /keepTags/],
    [{ keepDaily: 3, minKeep: 0 }, /allowEmpty/],
  ])('%j', (policy, message) => {
    expect(() => applyRetention(one, policy as RetentionPolicy)).toThrow(message);
    expect(() => applyRetention(one, policy as RetentionPolicy)).toThrow(expect.objectContaining({ code: 'invalid-argument', message: expect.not.stringContaining('\n') }));
  });
  test('an unknown time zone or grouping', () => {
    expect(() => applyRetention(one, { keepLast: 1 }, { timezone: 'Mars/Olympus' })).toThrow(/"Mars\/Olympus" is not a time zone/);
    expect(() => applyRetention(one, { keepLast: 1 }, { groupBy: 'paths' as never })).toThrow(/group-by "paths"/);
  });
});

describe("Meridian's rules on top of restic's", () => {
  const days = (n: number, extra: Partial<RetentionSnapshot> = {}) =>
    Array.from({ length: n }, (_, i) => snap(`d${i}`, new Date(NOW.getTime() - (i + 1) * 86_400_000 - 3_600_000).toISOString(), extra));

  test('maxAgeDays removes what another rule keeps, except tagged snapshots; min-keep keeps the newest', () => {
    const history = [...days(5), snap('tagged', '2025-01-01T00:00:00Z', { tags: ['prod'] })];
    expect(decide(history, { keepLast: 10, keepTags: ['prod'], maxAgeDays: 3 })).toEqual({
      d0: ['last snapshot'],
      d1: ['last snapshot'],
      d2: null,
      d3: null,
      d4: null,
      tagged: ['tag prod', 'last snapshot'],
    });
    expect(decide(days(4), { keepDaily: 7, maxAgeDays: 1 })).toEqual({ d0: ['min-keep'], d1: null, d2: null, d3: null });
    expect(decide(days(4), { keepDaily: 7, maxAgeDays: 1 }, { allowEmpty: true })).toEqual({ d0: null, d1: null, d2: null, d3: null });
    const [group] = applyRetention(days(3), { keepDaily: 7, maxAgeDays: 2 }, { now: NOW, timezone: 'UTC' });
    expect(group!.remove).toEqual([1, 2].map((i) => ({ id: `d${i}`, time: days(3)[i]!.time, reasons: ['older than 2d (max-age)'] })));
  });

  test('maxAgeDays alone keeps every snapshot younger than N days', () => {
    expect(decide(days(4), { maxAgeDays: 3 })).toEqual({ d0: ['younger than 3d (max-age)'], d1: ['younger than 3d (max-age)'], d2: null, d3: null });
  });

  test('maxKeep drops the oldest kept, tagged or not; minKeep keeps the newest N whatever removed them', () => {
    const history = days(6).map((s, i) => (i === 5 ? { ...s, tags: ['prod'] } : s));
    expect(decide(history, { keepDaily: 10, keepTags: ['prod'], maxKeep: 3 })).toEqual({
      d0: ['daily snapshot'],
      d1: ['daily snapshot'],
      d2: ['daily snapshot'],
      d3: null,
      d4: null,
      d5: null,
    });
    const [group] = applyRetention(history, { keepDaily: 10, maxKeep: 2 }, { now: NOW, timezone: 'UTC' });
    expect(group!.remove[0]!.reasons).toEqual(['beyond max-keep 2']);
    expect(decide(days(4), { keepTags: ['prod'], minKeep: 2 })).toEqual({ d0: ['min-keep'], d1: ['min-keep'], d2: null, d3: null });
    // The newest is kept although a tagged snapshot already keeps the group from being empty.
    const pinned = [...days(3), snap('pinned', '2020-01-01T00:00:00Z', { tags: ['prod'] })];
    expect(decide(pinned, { keepTags: ['prod'], maxAgeDays: 1 })).toEqual({ d0: ['min-keep'], d1: null, d2: null, pinned: ['tag prod'] });
    expect(decide(pinned, { keepTags: ['prod'], maxAgeDays: 1, minKeep: 2, maxKeep: 2 })).toEqual({ d0: ['min-keep'], d1: ['min-keep'], d2: null, pinned: null });
  });

  test('keepTags alone empties an untagged group only with allowEmpty', () => {
    expect(decide(days(2), { keepTags: ['prod'] })).toEqual({ d0: ['min-keep'], d1: null });
    expect(decide(days(2), { keepTags: ['prod'] }, { allowEmpty: true })).toEqual({ d0: null, d1: null });
  });

  test("gfs is the daily / weekly / monthly / yearly counts (the seed's 7/4/12/5)", () => {
    const daily = Array.from({ length: 800 }, (_, i) => snap(`s${i}`, new Date(Date.parse('2026-05-31T22:00:00Z') - i * 86_400_000).toISOString()));
    const gfs = applyRetention(daily, { gfs: { daily: 7, weekly: 4, monthly: 12, yearly: 5 } }, { now: NOW, timezone: 'UTC' });
    expect(gfs).toEqual(applyRetention(daily, { keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 5 }, { now: NOW, timezone: 'UTC' }));
    // 7 days, then Sundays of 3 more weeks, then month ends back to June 2025, then year ends 2024
    // and 2025 (counted already) and the oldest, Mar 23 2024, as the yearly rule has count left.
    expect(gfs[0]!.keep.map((s) => s.time.slice(0, 10))).toEqual([
      ...['2026-05-31', '2026-05-30', '2026-05-29', '2026-05-28', '2026-05-27', '2026-05-26', '2026-05-25'],
      ...['2026-05-24', '2026-05-17', '2026-05-10'],
      ...['2026-04-30', '2026-03-31', '2026-02-28', '2026-01-31', '2025-12-31', '2025-11-30', '2025-10-31', '2025-09-30', '2025-08-31', '2025-07-31', '2025-06-30'],
      ...['2024-12-31', '2024-03-23'],
    ]);
  });
});
