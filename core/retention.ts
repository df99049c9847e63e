// Retention policies, pure (no I/O): which snapshots of each group a policy keeps and why. restic's
// forget rules (keep-last, hourly…yearly buckets, keep-within*, keep-tag) behave exactly as in
// restic (0.14's rules plus the later -1 = unlimited and "oldest" kept while a rule has count
// left); Meridian adds gfs (a shorthand), maxAgeDays, maxKeep and minKeep on top, in that order.

import { z } from 'zod';
import { invalidArgument } from './errors.js';
import { GROUP_BY, type GroupBy } from './optionChoices.js';

/** restic's calendar duration (`1y2m3d4h`): each part counted on the wall clock of the time zone. */
export interface RetentionDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

const DURATION_UNITS = { y: 'years', m: 'months', d: 'days', h: 'hours' } as const;

/** Parses restic's duration syntax (`30d`, `1y2m`, `6y5m234d37h`): each unit once, not all zero. */
export function parseDuration(text: string): RetentionDuration {
  const duration: RetentionDuration = { years: 0, months: 0, days: 0, hours: 0 };
  const trimmed = text.trim();
  if (!/^(\d+[ymdh])+$/.test(trimmed)) throw invalidArgument(`"${text}" is not a duration (like 30d, 1y2m, 12h: numbers with y, m, d, h)`);
  const seen = new Set<string>();
  for (const [, digits, unit] of trimmed.matchAll(/(\d+)([ymdh])/g)) {
    if (seen.has(unit!)) throw invalidArgument(`duration "${text}" gives "${unit}" twice`);
    seen.add(unit!);
    duration[DURATION_UNITS[unit as keyof typeof DURATION_UNITS]] = Number(digits);
  }
  if (formatDuration(duration) === '') throw invalidArgument(`duration "${text}" is zero`);
  return duration;
}

/** restic's spelling of a duration (zero parts left out), used in the reasons. */
export function formatDuration({ years, months, days, hours }: RetentionDuration): string {
  return `${years ? `${years}y` : ''}${months ? `${months}m` : ''}${days ? `${days}d` : ''}${hours ? `${hours}h` : ''}`;
}

/** A bucket count: N > 0 keeps N buckets, -1 every bucket, 0 turns the rule off (as in restic). */
const bucketCount = z.number().int().min(-1);
const duration = z.string().refine((text) => tryParse(() => parseDuration(text)), { message: 'not a duration like 30d, 1y2m or 12h' });

export const BUCKET_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
export const WITHIN_RULES = ['keepWithin', 'keepWithinHourly', 'keepWithinDaily', 'keepWithinWeekly', 'keepWithinMonthly', 'keepWithinYearly'] as const;
const GFS_RULES = { daily: 'keepDaily', weekly: 'keepWeekly', monthly: 'keepMonthly', yearly: 'keepYearly' } as const;

export const RetentionPolicySchema = z
  .object({
    keepLast: bucketCount.optional(),
    keepHourly: bucketCount.optional(),
    keepDaily: bucketCount.optional(),
    keepWeekly: bucketCount.optional(),
    keepMonthly: bucketCount.optional(),
    keepYearly: bucketCount.optional(),
    keepWithin: duration.optional(),
    keepWithinHourly: duration.optional(),
    keepWithinDaily: duration.optional(),
    keepWithinWeekly: duration.optional(),
    keepWithinMonthly: duration.optional(),
    keepWithinYearly: duration.optional(),
    /** Each entry a tag or a comma-separated tag list; a snapshot having all tags of one entry is kept. */
    keepTags: z.array(z.string().regex(/^[^,\s]+(,[^,\s]+)*$/, 'a tag or tags separated by commas, no spaces')).optional(),
    /** Grandfather-father-son: the daily / weekly / monthly / yearly counts in one (the seed's 7/4/12/5). */
    gfs: z.object({ daily: bucketCount, weekly: bucketCount, monthly: bucketCount, yearly: bucketCount }).strict().optional(),
    /** Snapshots older than this many days (from now) are removed, whatever else keeps them (but keepTags, minKeep). */
    maxAgeDays: z.number().int().positive().optional(),
    /** The newest N of each group are always kept (default 1; 0 needs allowEmpty). */
    minKeep: z.number().int().min(0).optional(),
    /** Never more kept per group: the oldest kept are dropped, tagged ones too. */
    maxKeep: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const problem = policyProblem(policy);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;

function policyProblem(policy: RetentionPolicy): string | undefined {
  if (policy.gfs) {
    const clash = Object.values(GFS_RULES).find((rule) => policy[rule] !== undefined);
    if (clash) return `gfs and ${clash} both set: gfs already sets the daily, weekly, monthly and yearly counts`;
  }
  if (!hasResticRule(policy) && policy.maxAgeDays === undefined && policy.maxKeep === undefined) {
    return 'the policy has no rule: give at least one of keepLast, keepHourly…keepYearly, keepWithin…, keepTags, gfs, maxAgeDays, maxKeep (to forget given snapshots, name them)';
  }
  if (policy.minKeep !== undefined && policy.maxKeep !== undefined && policy.minKeep > policy.maxKeep) {
    return `minKeep ${policy.minKeep} is more than maxKeep ${policy.maxKeep}`;
  }
  return undefined;
}

function hasResticRule(policy: RetentionPolicy): boolean {
  return (
    BUCKET_RULES.some((rule) => (policy[rule] ?? 0) !== 0) ||
    WITHIN_RULES.some((rule) => policy[rule] !== undefined) ||
    (policy.keepTags?.length ?? 0) > 0 ||
    (policy.gfs !== undefined && Object.values(policy.gfs).some((count) => count !== 0))
  );
}

/** Validates a policy (from the CLI, the API or a workflow input); bad input throws one clear line. */
export function parseRetentionPolicy(input: unknown): RetentionPolicy {
  const parsed = RetentionPolicySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw invalidArgument(`retention policy: ${where}${issue.message}`);
}

export { GROUP_BY, type GroupBy } from './optionChoices.js';

/** What retention needs of a snapshot (a core Snapshot fits). `time` is an ISO 8601 instant. */
export interface RetentionSnapshot {
  id: string;
  time: string;
  host: string;
  source: string;
  tags: readonly string[];
}
export interface GroupKey {
  host?: string;
  source?: string;
  tags?: string[];
}
export interface SnapshotDecision {
  id: string;
  time: string;
  reasons: string[];
}
/** One group's verdict; both lists newest first. */
export interface GroupDecision {
  key: GroupKey;
  keep: SnapshotDecision[];
  remove: SnapshotDecision[];
}
export interface RetentionOptions {
  groupBy?: GroupBy;
  /** IANA zone of the hour/day/week/month/year buckets (default: this process's zone). */
  timezone?: string;
  /** maxAgeDays counts from here; keepWithin* ignore snapshots after it when finding the newest. */
  now?: Date;
  /** Lets a group lose every snapshot (minKeep then defaults to 0). */
  allowEmpty?: boolean;
}

/**
 * Applies `policy` to every group of `snapshots`. Per group, newest first:
 * 1. restic's rules (keepTags, keepWithin, the bucket counts, keepWithin*) select; with none of
 *    them (only maxAgeDays / maxKeep), every snapshot is selected;
 * 2. maxAgeDays removes selected snapshots older than now − N days unless a keepTags entry holds them;
 * 3. minKeep (default 1, or 0 with allowEmpty) keeps the group's newest N whatever removed them;
 * 4. maxKeep removes the oldest kept beyond N (a hard cap: tags do not hold them; N ≥ minKeep, so
 *    it never removes what minKeep kept).
 */
export function applyRetention(snapshots: readonly RetentionSnapshot[], policyInput: RetentionPolicy, options: RetentionOptions = {}): GroupDecision[] {
  const policy = parseRetentionPolicy(policyInput);
  if (policy.minKeep === 0 && !options.allowEmpty) {
    throw invalidArgument('retention policy: minKeep 0 can forget every snapshot of a group: allow it explicitly (allowEmpty, --allow-empty)');
  }
  const groupBy = options.groupBy ?? 'host,source';
  if (!GROUP_BY.includes(groupBy)) throw invalidArgument(`group-by "${groupBy}" is not one of ${GROUP_BY.join(', ')}`);
  const calendar = zoneCalendar(options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  const nowMs = (options.now ?? new Date()).getTime();
  const context: GroupContext = { policy, calendar, nowMs, minKeep: policy.minKeep ?? (options.allowEmpty ? 0 : 1) };

  const groups = new Map<string, { key: GroupKey; members: TimedSnapshot[] }>();
  for (const snapshot of snapshots) {
    const ms = Date.parse(snapshot.time);
    if (Number.isNaN(ms)) throw invalidArgument(`snapshot ${snapshot.id} has no valid time ("${snapshot.time}")`);
    const key = groupKey(snapshot, groupBy);
    const name = JSON.stringify(key);
    if (!groups.has(name)) groups.set(name, { key, members: [] });
    groups.get(name)!.members.push({ snapshot, ms });
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { key, members }]) => ({ key, ...decideGroup(members, context) }));
}

function groupKey(snapshot: RetentionSnapshot, groupBy: GroupBy): GroupKey {
  switch (groupBy) {
    case 'host,source':
      return { host: snapshot.host, source: snapshot.source };
    case 'host':
      return { host: snapshot.host };
    case 'source':
      return { source: snapshot.source };
    case 'tags':
      return { tags: [...new Set(snapshot.tags)].sort() };
    case 'none':
      return {};
  }
}

interface TimedSnapshot {
  snapshot: RetentionSnapshot;
  ms: number;
}
interface GroupContext {
  policy: RetentionPolicy;
  calendar: ZoneCalendar;
  nowMs: number;
  minKeep: number;
}
interface Verdict {
  item: TimedSnapshot;
  kept: boolean;
  reasons: string[];
  tagged: boolean;
}

function decideGroup(members: TimedSnapshot[], { policy, calendar, nowMs, minKeep }: GroupContext): Omit<GroupDecision, 'key'> {
  // Newest first; equal times in id order, so that the result does not depend on the input order.
  const ordered = [...members].sort((a, b) => b.ms - a.ms || (a.snapshot.id < b.snapshot.id ? -1 : a.snapshot.id > b.snapshot.id ? 1 : 0));
  const verdicts = resticSelection(ordered, policy, calendar, nowMs);

  if (policy.maxAgeDays !== undefined) {
    const oldestAllowed = nowMs - policy.maxAgeDays * 86_400_000;
    for (const verdict of verdicts) {
      if (verdict.kept && verdict.item.ms < oldestAllowed && !verdict.tagged) {
        verdict.kept = false;
        verdict.reasons = [`older than ${policy.maxAgeDays}d (max-age)`];
      }
    }
  }
  for (const verdict of verdicts.slice(0, minKeep)) {
    if (verdict.kept) continue;
    verdict.kept = true;
    verdict.reasons = ['min-keep'];
  }
  if (policy.maxKeep !== undefined) {
    for (const verdict of verdicts.filter((v) => v.kept).slice(policy.maxKeep)) {
      verdict.kept = false;
      verdict.reasons = [`beyond max-keep ${policy.maxKeep}`];
    }
  }

  const decision = (verdict: Verdict): SnapshotDecision => ({ id: verdict.item.snapshot.id, time: verdict.item.snapshot.time, reasons: verdict.reasons });
  return { keep: verdicts.filter((v) => v.kept).map(decision), remove: verdicts.filter((v) => !v.kept).map(decision) };
}

type BucketName = 'last' | 'hour' | 'day' | 'week' | 'month' | 'year';
const BUCKETS: { name: BucketName; count: (p: RetentionPolicy) => number | undefined; within: (typeof WITHIN_RULES)[number] | undefined; reason: string }[] = [
  { name: 'last', count: (p) => p.keepLast, within: undefined, reason: 'last snapshot' },
  { name: 'hour', count: (p) => p.keepHourly, within: 'keepWithinHourly', reason: 'hourly' },
  { name: 'day', count: (p) => p.keepDaily ?? p.gfs?.daily, within: 'keepWithinDaily', reason: 'daily' },
  { name: 'week', count: (p) => p.keepWeekly ?? p.gfs?.weekly, within: 'keepWithinWeekly', reason: 'weekly' },
  { name: 'month', count: (p) => p.keepMonthly ?? p.gfs?.monthly, within: 'keepWithinMonthly', reason: 'monthly' },
  { name: 'year', count: (p) => p.keepYearly ?? p.gfs?.yearly, within: 'keepWithinYearly', reason: 'yearly' },
];

/**
 * restic's ApplyPolicy on one group sorted newest first: each rule counts on its own; a bucket rule
 * keeps a snapshot when its bucket differs from the previous kept one of that rule, and keeps the
 * oldest snapshot while the rule has count left; keepWithin* measure from the newest snapshot that
 * is not in the future and keep one per bucket inside the window.
 */
function resticSelection(ordered: TimedSnapshot[], policy: RetentionPolicy, calendar: ZoneCalendar, nowMs: number): Verdict[] {
  const selecting = hasResticRule(policy);
  const latestMs = ordered.find((item) => item.ms < nowMs)?.ms ?? -Infinity;
  const windowStart = (text: string | undefined) => (text === undefined ? undefined : { text: formatDuration(parseDuration(text)), startMs: calendar.subtract(latestMs, parseDuration(text)) });
  const within = windowStart(policy.keepWithin);
  const counters = BUCKETS.map((bucket) => ({ ...bucket, left: bucket.count(policy) ?? 0, last: undefined as number | undefined }));
  const withinCounters = BUCKETS.filter((bucket) => bucket.within && policy[bucket.within] !== undefined).map((bucket) => ({
    ...bucket,
    window: windowStart(policy[bucket.within!])!,
    last: undefined as number | undefined,
  }));
  const tagLists = (policy.keepTags ?? []).map((entry) => ({ entry, tags: entry.split(',') }));

  return ordered.map((item, index) => {
    const oldest = index === ordered.length - 1;
    const reasons: string[] = [];
    const tags = tagLists.filter(({ tags }) => tags.every((tag) => item.snapshot.tags.includes(tag)));
    for (const { entry } of tags) reasons.push(`tag ${entry}`);
    if (within && item.ms > within.startMs) reasons.push(`within ${within.text}`);
    for (const counter of counters) {
      if (counter.left === 0) continue;
      const value = calendar.bucket(counter.name, item.ms, index);
      if (value === counter.last && !oldest) continue;
      reasons.push(`${value === counter.last ? 'oldest ' : ''}${counter.reason}${counter.name === 'last' ? '' : ' snapshot'}`);
      counter.last = value;
      if (counter.left > 0) counter.left--;
    }
    for (const counter of withinCounters) {
      if (item.ms <= counter.window.startMs) continue;
      const value = calendar.bucket(counter.name, item.ms, index);
      if (value === counter.last && !oldest) continue;
      reasons.push(`${value === counter.last ? 'oldest ' : ''}${counter.reason} within ${counter.window.text}`);
      counter.last = value;
    }
    if (!selecting) reasons.push(policy.maxAgeDays !== undefined ? `younger than ${policy.maxAgeDays}d (max-age)` : `within max-keep ${policy.maxKeep}`);
    return { item, kept: reasons.length > 0, reasons: reasons.length > 0 ? reasons : ['no rule keeps it'], tagged: tags.length > 0 };
  });
}

interface ZoneCalendar {
  /** The bucket number of `ms` in the zone (for 'last': the position, every snapshot its own bucket). */
  bucket(name: BucketName, ms: number, index: number): number;
  /** `ms` minus a calendar duration, on the zone's wall clock as Go's AddDate then Add(-hours). */
  subtract(ms: number, duration: RetentionDuration): number;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Calendar arithmetic in an IANA zone through Intl; instants stay UTC milliseconds. */
function zoneCalendar(timezone: string): ZoneCalendar {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw invalidArgument(`"${timezone}" is not a time zone (an IANA name like Europe/Paris or UTC)`);
  }
  const wall = (ms: number): WallClock => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(ms)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
    return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
  };
  const wallAsUtc = (w: WallClock) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  /** Seconds the zone is ahead of UTC at instant `ms`. */
  const offset = (ms: number) => wallAsUtc(wall(ms)) - (ms - mod(ms, 1000));

  return {
    bucket(name, ms, index) {
      if (name === 'last') return index;
      const w = wall(ms);
      switch (name) {
        case 'hour':
          return ((w.year * 100 + w.month) * 100 + w.day) * 100 + w.hour;
        case 'day':
          return (w.year * 100 + w.month) * 100 + w.day;
        case 'week': {
          const { year, week } = isoWeek(w.year, w.month, w.day);
          return year * 100 + week;
        }
        case 'month':
          return w.year * 100 + w.month;
        case 'year':
          return w.year;
      }
    },
    subtract(ms, { years, months, days, hours }) {
      if (ms === -Infinity) return -Infinity;
      const w = wall(ms);
      // Date.UTC normalizes overflowing months and days as Go's time.Date does (Mar 31 − 1m = Mar 3).
      const local = Date.UTC(w.year - years, w.month - 1 - months, w.day - days, w.hour, w.minute, w.second) + mod(ms, 1000);
      // Go's Date: the offset in force at the wall time read as UTC, then the one in force at the
      // instant that gives (the same unless a zone transition lies between them).
      const zoneOffset = offset(local - offset(local));
      return local - zoneOffset - hours * 3_600_000;
    },
  };
}

/** ISO 8601 week (weeks start Monday; week 1 holds the year's first Thursday), as Go's ISOWeek. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = Date.UTC(year, month - 1, day);
  const weekday = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - weekday) * 86_400_000);
  const isoYear = thursday.getUTCFullYear();
  return { year: isoYear, week: 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * 86_400_000)) };
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

function tryParse(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}
