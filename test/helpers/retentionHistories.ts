// Seeded random snapshot histories and retention policies for the retention tests: times cluster
// around calendar traps (ISO week 53, year ends, leap days, daylight-saving changes) at gaps from
// minutes to months, so that every bucket rule meets both equal and changing buckets.

import { prng } from '../../bench/dataset';
import type { RetentionPolicy } from '../../core/retention';

export class Choices {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = prng(seed);
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}

export interface HistoryEntry {
  time: Date;
  host: string;
  source: string;
  tags: string[];
}

const TRAPS = [
  '2020-12-27T10:00:00Z', // 2020 has an ISO week 53; Jan 1-3 2021 belong to it
  '2021-03-27T23:00:00Z', // Europe's spring-forward night
  '2021-11-06T20:00:00Z', // North America's fall-back night
  '2023-12-31T22:30:00Z', // a year end, late in the day in UTC
  '2024-02-28T12:00:00Z', // a leap day
  '2024-04-06T13:00:00Z', // Lord Howe's half-hour fall-back night
  '2024-10-26T21:00:00Z', // Europe's fall-back night
  '2025-12-29T06:00:00Z', // ISO week 1 of 2026 starts in December
].map((iso) => Date.parse(iso));

const MINUTE = 60_000;
const GAPS = [
  [1, 50 * MINUTE],
  [30 * MINUTE, 8 * 60 * MINUTE],
  [6 * 60 * MINUTE, 3 * 1440 * MINUTE],
  [4 * 1440 * MINUTE, 12 * 1440 * MINUTE],
  [20 * 1440 * MINUTE, 70 * 1440 * MINUTE],
] as const;

/**
 * `count` snapshots spread over the given hosts × sources with random tags; every time distinct to
 * the second (and `distinct` lets a caller refuse more, e.g. equal wall clocks in a zone).
 */
export function randomHistory(
  choices: Choices,
  { count, hosts, sources, tags, distinct = () => true }: { count: number; hosts: string[]; sources: string[]; tags: string[]; distinct?: (time: Date) => boolean },
): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  const seconds = new Set<number>();
  const lanes = hosts.flatMap((host) => sources.map((source) => ({ host, source, at: choices.pick(TRAPS) + choices.int(-3, 3) * 86_400_000 })));
  while (entries.length < count) {
    const lane = choices.pick(lanes);
    const [min, max] = choices.pick(GAPS);
    lane.at += (choices.chance(0.5) ? 1 : -1) * choices.int(min, max);
    const time = new Date(Math.floor(lane.at / 1000) * 1000);
    if (seconds.has(time.getTime()) || !distinct(time)) continue;
    seconds.add(time.getTime());
    entries.push({ time, host: lane.host, source: lane.source, tags: tags.filter(() => choices.chance(0.3)) });
  }
  return entries;
}

const DURATION_PARTS = ['y', 'm', 'd', 'h'] as const;

function randomDuration(choices: Choices): string {
  const limits = { y: 1, m: 4, d: 40, h: 72 };
  let text = '';
  for (const unit of DURATION_PARTS) if (choices.chance(0.35)) text += `${choices.int(1, limits[unit])}${unit}`;
  return text || `${choices.int(1, 20)}d`;
}

/** A policy of restic's own rules (positive counts, durations, tag lists), never empty. */
export function randomResticPolicy(choices: Choices, tags: string[]): RetentionPolicy {
  const policy: RetentionPolicy = {};
  const count = (max: number) => choices.int(1, max);
  if (choices.chance(0.2)) policy.keepLast = count(5);
  if (choices.chance(0.2)) policy.keepHourly = count(6);
  if (choices.chance(0.15)) policy.gfs = { daily: count(7), weekly: count(4), monthly: count(12), yearly: count(5) };
  else {
    if (choices.chance(0.3)) policy.keepDaily = count(8);
    if (choices.chance(0.3)) policy.keepWeekly = count(5);
    if (choices.chance(0.3)) policy.keepMonthly = count(6);
    if (choices.chance(0.2)) policy.keepYearly = count(3);
  }
  if (choices.chance(0.2)) policy.keepWithin = randomDuration(choices);
  if (choices.chance(0.12)) policy.keepWithinHourly = randomDuration(choices);
  if (choices.chance(0.12)) policy.keepWithinDaily = randomDuration(choices);
  if (choices.chance(0.12)) policy.keepWithinWeekly = randomDuration(choices);
  if (choices.chance(0.12)) policy.keepWithinMonthly = randomDuration(choices);
  if (choices.chance(0.08)) policy.keepWithinYearly = randomDuration(choices);
  if (choices.chance(0.2)) policy.keepTags = [choices.pick(tags), ...(choices.chance(0.3) ? [`${tags[0]},${tags[1]}`] : [])];
  if (Object.keys(policy).length === 0) policy.keepDaily = count(8);
  return policy;
}
