// How a scheduled workflow tells its targets what happened: the notify activity (activities/notify.ts,
// with its bounded retries) given an event stamped with this run's workflow id and time, its message
// on one line. A notification that cannot be delivered is logged and returned, never thrown: the
// run goes on (or fails) for its own reasons. Shared by scheduledBackupWorkflow and scrubWorkflow.

import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { NotifyOutput } from '../activities/notify.js';
import { NOTIFY_OPTIONS } from './activityOptions.js';
import { innermostMessage } from './operations.js';
import type { NotifyEvent, NotifyTarget } from './shared.js';

/** Delivered and skipped targets, or why the notification was not delivered. */
export type NotificationOutcome = NotifyOutput | { failed: string };

/** Notifies `targets` (nothing to do without any: undefined). */
export async function notifyTargets(targets: NotifyTarget[] | undefined, event: Omit<NotifyEvent, 'workflowId' | 'time'>): Promise<NotificationOutcome | undefined> {
  if (!targets?.length) return undefined;
  const { notify } = proxyActivities<Activities>(NOTIFY_OPTIONS);
  const stamped: NotifyEvent = { ...event, message: event.message.replace(/\s*\n\s*/g, ' '), workflowId: workflowInfo().workflowId, time: new Date().toISOString() };
  try {
    return await notify({ targets, event: stamped });
  } catch (err) {
    const failed = innermostMessage(err);
    log.warn('notification not delivered', { kind: event.kind, schedule: event.schedule, failed });
    return { failed };
  }
}
