// Test helpers around Temporal Schedules: a Schedule that is
// not Meridian's (apply and `meridian schedule` must leave it alone), and deleting the Schedules a
// test made so they stop firing.

import { ScheduleNotFoundError, type Client } from '@temporalio/client';

/** Deletes the Schedules of these ids, those already gone too. */
export async function deleteSchedules(client: Client, ids: readonly string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined),
    ),
  );
}

/** Creates a paused Schedule of someone else's workflow, outside the `meridian:` ids. */
export async function createForeignSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '1h' }] },
    action: { type: 'startWorkflow', workflowType: 'someoneElsesWorkflow', taskQueue: 'elsewhere', args: [] },
    state: { paused: true },
  });
}

/** Whether a Schedule of this id exists. */
export async function scheduleExists(client: Client, id: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}
