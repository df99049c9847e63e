// The plan of `meridian apply`, pure: the Schedules meridian.yaml describes against the Schedules
// Meridian owns in Temporal (ids with the `meridian:` prefix; no other Schedule is ever here).
// Equal digests: unchanged (an operator's pause stays); different: update; missing: create; owned
// but no longer in the file: delete.

import type { DesiredSchedule } from './desired.js';
import { scheduleName } from './names.js';

export type PlanAction = 'create' | 'update' | 'delete' | 'unchanged';

/** An owned Schedule as it exists in Temporal. */
export interface ExistingSchedule {
  id: string;
  /** The digest on its action memo; undefined when it has none. */
  digest: string | undefined;
  paused: boolean;
  note?: string;
  /** The replica set whose passes it asks for, when it is a replica set's Schedule. */
  replicationSet?: string;
}

export interface PlanEntry {
  name: string;
  id: string;
  action: PlanAction;
  /** Why, in a few words. */
  why: string;
  /** What the file asks for (absent for a delete): `hourly (0 * * * *) Europe/Berlin → backup tiles`. */
  schedule?: string;
}

/** The plan, sorted by name; `existing` may hold Schedules of other owners: they are left out. */
export function planSchedules(desired: readonly DesiredSchedule[], existing: readonly ExistingSchedule[]): PlanEntry[] {
  const owned = new Map(existing.filter((s) => scheduleName(s.id) !== undefined).map((s) => [s.id, s]));
  const entries: PlanEntry[] = desired.map((want) => {
    const have = owned.get(want.id);
    const base = { name: want.name, id: want.id, schedule: want.summary };
    if (!have) return { ...base, action: 'create', why: 'new in meridian.yaml' };
    if (have.digest === want.digest) return { ...base, action: 'unchanged', why: unchangedWhy(want, have) };
    return { ...base, action: 'update', why: have.digest === undefined ? 'has no digest of meridian apply' : 'meridian.yaml changed it' };
  });
  const wanted = new Set(desired.map((d) => d.id));
  for (const have of owned.values()) {
    if (!wanted.has(have.id)) entries.push({ name: scheduleName(have.id)!, id: have.id, action: 'delete', why: 'no longer in meridian.yaml' });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** An unchanged Schedule keeps its state: say when that differs from what `enabled` alone would give. */
function unchangedWhy(want: DesiredSchedule, have: ExistingSchedule): string {
  if (have.paused && !want.options.state.paused) return `matches meridian.yaml; stays paused${have.note ? `: ${have.note}` : ''}`;
  if (!have.paused && want.options.state.paused) return 'matches meridian.yaml; disabled there but resumed by an operator, stays running';
  return 'matches meridian.yaml';
}

/** How many entries of each action. */
export function planCounts(plan: readonly PlanEntry[]): Record<PlanAction, number> {
  const counts: Record<PlanAction, number> = { create: 0, update: 0, delete: 0, unchanged: 0 };
  for (const entry of plan) counts[entry.action] += 1;
  return counts;
}
