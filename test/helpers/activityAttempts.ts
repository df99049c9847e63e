// The attempts at which one activity type started in a workflow's history (a failed operation also
// runs the notifyEvent activity of its failure event, which a retry count must leave out).

import type { temporal } from '@temporalio/proto';

export function activityAttempts(history: temporal.api.history.v1.IHistory, activityType: string): number[] {
  const events = history.events ?? [];
  const scheduled = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType).map((e) => String(e.eventId)));
  return events.flatMap((e) => (e.activityTaskStartedEventAttributes && scheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ? [e.activityTaskStartedEventAttributes.attempt ?? 1] : []));
}
