// `meridian apply` against Temporal: reads the Schedules Meridian owns (listed by their
// `meridian:` id prefix, plus the file's own ids described directly, since listing is eventually
// consistent) and carries out a plan: create (with the Schedule memo naming apply and the file),
// update (spec, action, policies, and paused or not from `enabled`), delete. Nothing else is touched.

import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import { REPLICATION_TICK_WORKFLOW, type DesiredSchedule } from './desired.js';
import { SCHEDULE_DIGEST_MEMO, scheduleName } from './names.js';
import type { ExistingSchedule, PlanEntry } from './plan.js';

/** The Schedule memo of every Schedule apply creates. */
export const MANAGED_BY = 'meridian apply';

/** The owned Schedules that exist: those listed with the prefix, and any of `ids` (owned ids) found by describing them. */
export async function existingSchedules(client: Client, ids: readonly string[]): Promise<ExistingSchedule[]> {
  const owned = new Set(ids.filter((id) => scheduleName(id) !== undefined));
  for await (const summary of client.schedule.list()) {
    if (scheduleName(summary.scheduleId) !== undefined) owned.add(summary.scheduleId);
  }
  const described = await Promise.all([...owned].map((id) => describeOwned(client, id)));
  return described.filter((s): s is ExistingSchedule => s !== undefined);
}

async function describeOwned(client: Client, id: string): Promise<ExistingSchedule | undefined> {
  try {
    const description = await client.schedule.getHandle(id).describe();
    const digest = description.action.memo?.[SCHEDULE_DIGEST_MEMO];
    const set = description.action.workflowType === REPLICATION_TICK_WORKFLOW ? (description.action.args?.[0] as { set?: unknown } | undefined)?.set : undefined;
    return {
      id,
      digest: typeof digest === 'string' ? digest : undefined,
      paused: description.state.paused,
      note: description.state.note,
      ...(typeof set === 'string' ? { replicationSet: set } : {}),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined; // listed, but deleted since
    throw err;
  }
}

/** Carries out the plan's creates, updates and deletes, one by one in plan order. */
export async function executePlan(client: Client, plan: readonly PlanEntry[], desired: readonly DesiredSchedule[], configFile: string): Promise<void> {
  const byId = new Map(desired.map((d) => [d.id, d]));
  for (const entry of plan) {
    const want = byId.get(entry.id);
    if (entry.action === 'create') {
      await client.schedule.create({ ...want!.options, memo: { managedBy: MANAGED_BY, config: configFile } });
    } else if (entry.action === 'update') {
      const { spec, action, policies, state } = want!.options;
      await client.schedule.getHandle(entry.id).update((previous) => ({ ...previous, spec, action, policies, state }));
    } else if (entry.action === 'delete') {
      await client.schedule.getHandle(entry.id).delete();
    }
  }
}
