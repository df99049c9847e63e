// restic 0.14 as the oracle of applyRetention: the same seeded random histories are backed up by
// restic (`restic backup --time --host --tag`, TZ set) and by Meridian (core backup with `time`),
// random policies go through `restic forget --dry-run --json` and applyRetention, and the kept and
// removed sets and every reason are compared snapshot by snapshot. The one intended difference is
// restic's later "oldest" rule (a rule with count left keeps the group's oldest snapshot), which
// 0.14 lacks: it is checked against 0.14's own counters and windows instead. Every restic
// repository is a copy of one whose key is cheap to open (test/helpers/resticCheapKey.ts).
// RETENTION_ORACLE_SEED=<n> replays a run.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { applyRetention, formatDuration, parseDuration, type GroupBy, type RetentionPolicy } from '../../core/retention';
import { listSnapshots } from '../../core/snapshots';
import { LocalStorage } from '../../storage/local';
import { cheapenResticKey } from '../helpers/resticCheapKey';
import { Choices, randomHistory, randomResticPolicy, type HistoryEntry } from '../helpers/retentionHistories';
import { tempDir } from '../helpers/trees';

const run = promisify(execFile);
const SEED = Number(process.env.RETENTION_ORACLE_SEED ?? Date.now() % 1_000_000);
const ZONES = ['UTC', 'Europe/Paris', 'Australia/Lord_Howe'];
const SNAPSHOTS_PER_REPO = 40;
const POLICIES_PER_REPO = 60;
const RESTIC_PASSWORD = 'oracle';
const HOSTS = ['alpha', 'beta', 'gamma'];
const TAGS = ['prod', 'gis', 'weekly'];
const GROUP_BYS: [GroupBy, string][] = [
  ['host,source', 'host,paths'],
  ['host', 'host'],
  ['source', 'paths'],
  ['tags', 'tags'],
  ['none', ''],
];
const BUCKET_COUNTERS = [
  ['keepLast', 'last', 'last snapshot'],
  ['keepHourly', 'hourly', 'hourly snapshot'],
  ['keepDaily', 'daily', 'daily snapshot'],
  ['keepWeekly', 'weekly', 'weekly snapshot'],
  ['keepMonthly', 'monthly', 'monthly snapshot'],
  ['keepYearly', 'yearly', 'yearly snapshot'],
] as const;
const WITHIN_BUCKETS = [
  ['keepWithinHourly', 'hourly'],
  ['keepWithinDaily', 'daily'],
  ['keepWithinWeekly', 'weekly'],
  ['keepWithinMonthly', 'monthly'],
  ['keepWithinYearly', 'yearly'],
] as const;

/** At most two restic processes at a time, whatever the test asks for. */
const slots = { free: 2, waiting: [] as (() => void)[] };
async function restic(args: string[], env: { repo: string; zone: string }): Promise<string> {
  if (slots.free === 0) await new Promise<void>((resolve) => slots.waiting.push(resolve));
  else slots.free--;
  try {
    const { stdout } = await run('restic', ['--no-cache', '--repo', env.repo, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TZ: env.zone, RESTIC_PASSWORD },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } finally {
    const next = slots.waiting.shift();
    if (next) next();
    else slots.free++;
  }
}

interface ResticSnapshot {
  id: string;
  time: string;
  hostname: string;
  paths: string[];
  tags?: string[];
}
interface ResticGroup {
  keep: ResticSnapshot[] | null;
  remove: ResticSnapshot[] | null;
  reasons: { matches: string[]; counters: Record<string, number> }[] | null;
}

/** The zone's wall clock of an instant, as restic's --time reads it ("2006-01-02 15:04:05"). */
function wallClock(time: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(time)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

function resticPolicyArgs(policy: RetentionPolicy): string[] {
  const counts = { ...policy, ...(policy.gfs && { keepDaily: policy.gfs.daily, keepWeekly: policy.gfs.weekly, keepMonthly: policy.gfs.monthly, keepYearly: policy.gfs.yearly }) };
  const flag = (rule: string) => `--${rule.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const args: string[] = [];
  for (const [rule] of BUCKET_COUNTERS) if (counts[rule] !== undefined) args.push(flag(rule), String(counts[rule]));
  for (const rule of ['keepWithin', ...WITHIN_BUCKETS.map(([r]) => r)] as const) if (policy[rule] !== undefined) args.push(flag(rule), policy[rule]);
  for (const tags of policy.keepTags ?? []) args.push('--keep-tag', tags);
  return args;
}

/** restic 0.14's "has tags [a, b]" in Meridian's words ("tag a,b"). */
const meridianReason = (match: string) => match.replace(/^has tags \[(.*)\]$/, (_, list: string) => `tag ${list.split(', ').join(',')}`);

interface OracleRepository {
  zone: string;
  resticRepo: string;
  meridian: Repository;
  /** restic snapshot id → Meridian snapshot id. */
  meridianId: Map<string, string>;
  /**
   * restic forget runs by their arguments: the repository never changes, so a run asked again
   * (the same keep-within window for each group's oldest snapshot, a policy drawn twice) is read once.
   */
  forgetRuns: Map<string, Promise<ResticGroup[]>>;
}

/** A seeded history in which no wall clock of the zone repeats (restic reads its --time there). */
function zoneHistory(zone: string, choices: Choices, sources: string[]): HistoryEntry[] {
  // In a fall-back hour two instants share one wall clock: each is given once only.
  const wallClocks = new Set<string>();
  return randomHistory(choices, {
    count: SNAPSHOTS_PER_REPO,
    hosts: HOSTS,
    sources,
    tags: TAGS,
    distinct: (time) => !wallClocks.has(wallClock(time, zone)) && Boolean(wallClocks.add(wallClock(time, zone))),
  });
}

/** restic and Meridian repositories holding the history that `makeHistory` gives for two sources. */
async function buildRepositories(zone: string, makeHistory: (sources: string[]) => HistoryEntry[]): Promise<OracleRepository> {
  const dir = tempDir('retention-oracle');
  const sources = ['a', 'b'].map((name) => {
    const source = path.join(dir, `src-${name}`);
    fs.mkdirSync(source);
    fs.writeFileSync(path.join(source, 'note.txt'), `source ${name}\n`);
    return source;
  });
  const resticRepo = path.join(dir, 'restic');
  const env = { repo: resticRepo, zone };
  fs.cpSync(resticSkeleton, resticRepo, { recursive: true });
  const history = makeHistory(sources);
  await Promise.all(history.map((entry) => restic(['backup', '--quiet', '--host', entry.host, '--time', wallClock(entry.time, zone), ...entry.tags.flatMap((t) => ['--tag', t]), entry.source], env)));

  // restic's record is the truth for the times (its reading of a wall clock in the zone).
  const recorded = JSON.parse(await restic(['snapshots', '--json'], env)) as ResticSnapshot[];
  expect(recorded).toHaveLength(history.length);
  const meridian = await Repository.init(new LocalStorage(path.join(dir, 'meridian')), 'oracle');
  const meridianId = new Map<string, string>();
  const entryOf = new Map<string, HistoryEntry>(history.map((entry) => [`${entry.host} ${entry.source} ${wallClock(entry.time, zone)}`, entry]));
  for (const snapshot of recorded) {
    const entry = entryOf.get(`${snapshot.hostname} ${snapshot.paths[0]} ${snapshot.time.slice(0, 19).replace('T', ' ')}`);
    expect(entry).toBeDefined();
    const result = await backup(meridian, { source: entry!.source, type: 'incremental', host: entry!.host, tags: entry!.tags, time: new Date(snapshot.time), threads: 0 });
    meridianId.set(snapshot.id, result.snapshotId);
  }
  return { zone, resticRepo, meridian, meridianId, forgetRuns: new Map() };
}

/**
 * Every difference between restic 0.14 and applyRetention for one policy, as readable lines
 * (none expected), and how many groups (histories) were compared.
 */
async function compare(target: OracleRepository, policy: RetentionPolicy, groupBy: [GroupBy, string]): Promise<{ problems: string[]; groups: number }> {
  const env = { repo: target.resticRepo, zone: target.zone };
  const forget = (args: string[]): Promise<ResticGroup[]> => {
    const forgetArgs = ['forget', '--dry-run', '--no-lock', '--json', '--group-by', groupBy[1], ...args];
    const key = JSON.stringify(forgetArgs);
    const known = target.forgetRuns.get(key);
    if (known) return known;
    const run = restic(forgetArgs, env).then((stdout) => JSON.parse(stdout || '[]') as ResticGroup[]);
    target.forgetRuns.set(key, run);
    return run;
  };
  const [resticGroups, snapshots] = await Promise.all([forget(resticPolicyArgs(policy)), listSnapshots(target.meridian)]);
  const decisions = applyRetention(snapshots, policy, { groupBy: groupBy[0], timezone: target.zone, allowEmpty: true });
  const meridianVerdict = new Map<string, string[] | null>();
  for (const group of decisions) {
    for (const kept of group.keep) meridianVerdict.set(kept.id, kept.reasons);
    for (const removed of group.remove) meridianVerdict.set(removed.id, null);
  }
  expect(meridianVerdict.size).toBe(snapshots.length);

  const problems: string[] = [];
  const compared = resticGroups.reduce((sum, group) => sum + (group.keep?.length ?? 0) + (group.remove?.length ?? 0), 0);
  if (compared !== snapshots.length) problems.push(`restic decided on ${compared} of ${snapshots.length} snapshots`);
  for (const group of resticGroups) {
    const keep = group.keep ?? [];
    const members = [...keep, ...(group.remove ?? [])].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const oldest = members[0]!;
    for (const snapshot of members) {
      const keptAt = keep.findIndex((k) => k.id === snapshot.id);
      const expected = keptAt < 0 ? [] : group.reasons![keptAt]!.matches.map(meridianReason);
      if (snapshot === oldest) expected.push(...(await oldestReasons(policy, group, oldest, expected, forget)));
      const actual = meridianVerdict.get(target.meridianId.get(snapshot.id)!) ?? [];
      // The oldest's extra reasons are compared as a set: their place in the list is cosmetic.
      const comparable = (reasons: string[]) => JSON.stringify(snapshot === oldest ? [...reasons].sort() : reasons);
      if (comparable(actual) !== comparable(expected)) {
        problems.push(`${snapshot.time} (${snapshot.hostname} ${path.basename(snapshot.paths[0]!)} [${snapshot.tags ?? ''}]): restic says ${JSON.stringify(expected)}, Meridian ${JSON.stringify(actual)}`);
      }
    }
  }
  return { problems, groups: resticGroups.length };
}

/**
 * The reasons restic ≥ 0.15 adds for the oldest snapshot of a group and 0.14 does not give: a
 * bucket rule with count left (0.14's counters before the oldest) keeps it as "oldest <rule>", a
 * keep-within-<bucket> rule whose window holds it (0.14's keep-within says) as "oldest <rule> D".
 */
async function oldestReasons(
  policy: RetentionPolicy,
  group: ResticGroup,
  oldest: ResticSnapshot,
  given: string[],
  forget: (args: string[]) => Promise<ResticGroup[]>,
): Promise<string[]> {
  const keep = group.keep ?? [];
  const before = keep.filter((k) => k.id !== oldest.id).length;
  const counts = { ...policy, ...(policy.gfs && { keepDaily: policy.gfs.daily, keepWeekly: policy.gfs.weekly, keepMonthly: policy.gfs.monthly, keepYearly: policy.gfs.yearly }) };
  const out: string[] = [];
  for (const [rule, counter, reason] of BUCKET_COUNTERS) {
    const initial = counts[rule];
    if (!initial || given.includes(reason)) continue;
    const left = before === 0 ? initial : (group.reasons![before - 1]!.counters[counter] ?? 0);
    if (left > 0) out.push(`oldest ${reason}`);
  }
  for (const [rule, bucket] of WITHIN_BUCKETS) {
    const window = policy[rule];
    if (window === undefined) continue;
    const canonical = formatDuration(parseDuration(window));
    if (given.includes(`${bucket} within ${canonical}`)) continue;
    const inWindow = (await forget(['--keep-within', window])).some((g) => (g.keep ?? []).some((k) => k.id === oldest.id));
    if (inWindow) out.push(`oldest ${bucket} within ${canonical}`);
  }
  return out;
}

/** An empty restic repository with a cheap key, copied for each test repository. */
let resticSkeleton: string;
beforeAll(async () => {
  const version = await run('restic', ['version']).then(
    ({ stdout }) => stdout,
    () => '',
  );
  if (!version.startsWith('restic 0.14.')) {
    throw new Error(`the retention oracle needs restic 0.14 on PATH (found: ${version.trim() || 'none'}); scripts/setup.sh installs it when run as root`);
  }
  resticSkeleton = path.join(tempDir('restic-skeleton'), 'repo');
  await restic(['init'], { repo: resticSkeleton, zone: 'UTC' });
  cheapenResticKey(resticSkeleton, RESTIC_PASSWORD);
});

describe(`retention policies against restic 0.14 (seed ${SEED})`, () => {
  test.each(ZONES)('random histories and policies in %s give the same kept and removed snapshots, for the same reasons', async (zone) => {
    const choices = new Choices(SEED + ZONES.indexOf(zone));
    const target = await buildRepositories(zone, (sources) => zoneHistory(zone, choices, sources));
    const cases = Array.from({ length: POLICIES_PER_REPO }, () => ({ policy: randomResticPolicy(choices, TAGS), groupBy: choices.pick(GROUP_BYS) }));
    const results = await Promise.all(cases.map(async ({ policy, groupBy }) => ({ policy, groupBy, ...(await compare(target, policy, groupBy)) })));
    // Hundreds of (history × policy) pairs over the zones: a group is one history.
    expect(results.reduce((sum, r) => sum + r.groups, 0)).toBeGreaterThanOrEqual(POLICIES_PER_REPO * 2);
    const failures = results
      .filter((r) => r.problems.length > 0)
      .map((r) => `seed ${SEED}, ${zone}, group-by ${r.groupBy[0]}, policy ${JSON.stringify(r.policy)} (restic ${resticPolicyArgs(r.policy).join(' ')}):\n  ${r.problems.join('\n  ')}`);
    expect(failures).toEqual([]);
  });
});

describe('retention windows across daylight-saving changes and month ends, against restic 0.14', () => {
  // The newest snapshot of each host sits after a clock change or at a month end; the others sit
  // half an hour on either side of where restic's window starts (its AddDate works on the wall
  // clock of the zone, so the window is an hour shorter or longer than 24 h × days).
  const zone = 'Europe/Paris';
  const edges = {
    spring: ['2024-04-01T10:00:00Z', '2024-03-29T11:30:00Z', '2024-03-29T10:30:00Z', '2024-03-31T00:30:00Z', '2024-03-31T01:30:00Z'],
    fall: ['2024-10-28T12:00:00Z', '2024-10-26T11:30:00Z', '2024-10-26T10:30:00Z', '2024-10-26T23:30:00Z', '2024-10-27T02:30:00Z'],
    monthEnd: ['2024-03-31T10:00:00Z', '2024-03-02T11:30:00Z', '2024-03-02T10:30:00Z', '2024-02-29T11:00:00Z'],
  };
  const policies: RetentionPolicy[] = [
    { keepWithin: '3d' },
    { keepWithin: '2d' },
    { keepWithin: '1m' },
    { keepWithin: '2d1h' },
    { keepWithinDaily: '3d' },
    { keepWithinHourly: '2d' },
    { keepWithinDaily: '1m', keepHourly: 2 },
  ];

  test('each policy keeps the same snapshots as restic', async () => {
    const target = await buildRepositories(zone, ([source]) =>
      Object.entries(edges).flatMap(([host, times]) => times.map((time) => ({ time: new Date(time), host, source: source!, tags: [] }))),
    );
    const results = await Promise.all(policies.map(async (policy) => ({ policy, ...(await compare(target, policy, GROUP_BYS[0]!)) })));
    expect(results.filter((r) => r.problems.length > 0)).toEqual([]);
  });
});
