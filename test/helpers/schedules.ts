// Test helpers around Temporal Schedules: polling until Temporal shows what a test waits for
// (Schedules and their runs appear a moment after the call that made them), a Schedule that is
// not Meridian's (apply and `meridian schedule` must leave it alone), and deleting the Schedules a
// test made so they stop firing.

import { ScheduleNotFoundError, type Client } from '@temporalio/client';

/** Polls `probe` every 250 ms until it returns a value; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

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
