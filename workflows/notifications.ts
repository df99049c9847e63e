// How workflows tell operators what happened. raiseEvent: an event (workflows/eventDefs.ts) given to
// the notifyEvent activity (activities/notifyEvent.ts, with its bounded retries), which delivers it
// to the worker's channels, or to the raiser's `notify` list (channel names only). notifyTargets:
// the legacy path of scheduled runs started before channels existed (URLs and addresses). Either
// way a notification that cannot be delivered is logged and returned, never thrown: the workflow
// goes on (or fails) for its own reasons.

import { CancellationScope, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { NotifyOutput } from '../activities/notify.js';
import { NOTIFY_OPTIONS } from './activityOptions.js';
import { DEFAULT_SEVERITY, MeridianEvent, NotifyEventOutput } from './eventDefs.js';
import { innermostMessage } from './operations.js';
import type { NotifyEvent, NotifyTarget } from './shared.js';

/**
 * Patch id of the events workflows raise (operation, scheduled run, scrub, replication, failover
 * and runbook events): runs recorded before them replay without their notifyEvent activities.
 */
export const EVENTS_PATCH = 'notification-events';

/** Delivered and skipped targets (or delivered and filtered channels), or why the notification was not delivered. */
export type NotificationOutcome = NotifyOutput | NotifyEventOutput | { failed: string };

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

/** An event as a workflow raises it: severity defaults to its kind's, time to now (the workflow's clock), workflowId to this workflow. */
export type RaisedEvent = Omit<MeridianEvent, 'severity' | 'time' | 'workflowId'> & Partial<Pick<MeridianEvent, 'severity' | 'time' | 'workflowId'>>;

/** The longest summary sent: one line for a subject or a chat message. */
const SUMMARY_MAX = 300;

/**
 * Sends `event` to `channels` (names; default every channel that wants it); never throws. Not
 * cancellable: a workflow being cancelled still tells what happened (the retries are bounded).
 */
export async function raiseEvent(event: RaisedEvent, channels?: string[]): Promise<NotifyEventOutput | { failed: string }> {
  const { notifyEvent } = proxyActivities<Activities>(NOTIFY_OPTIONS);
  const oneLine = event.summary.replace(/\s*\n\s*/g, ' ');
  const complete: MeridianEvent = {
    ...event,
    severity: event.severity ?? DEFAULT_SEVERITY[event.kind],
    time: event.time ?? new Date().toISOString(),
    workflowId: event.workflowId ?? workflowInfo().workflowId,
    summary: oneLine.length > SUMMARY_MAX ? `${oneLine.slice(0, SUMMARY_MAX - 1)}…` : oneLine,
  };
  try {
    return await CancellationScope.nonCancellable(() => notifyEvent({ event: complete, ...(channels ? { channels } : {}) }));
  } catch (err) {
    const failed = innermostMessage(err);
    log.warn('event not delivered', { event: complete.id, kind: complete.kind, failed });
    return { failed };
  }
}

/** The id of an event about this run: `<workflow id>:<run id>:<what>`. */
export function runEventId(what: string): string {
  const { workflowId, runId } = workflowInfo();
  return `${workflowId}:${runId}:${what}`;
}

/** Whether this workflow raises events (false when replaying a history recorded before them). */
export function raisesEvents(): boolean {
  return patched(EVENTS_PATCH);
}

/**
 * Events raised without waiting for their delivery (a monitor's loop, a runbook waiting for a
 * decision must not wait on a webhook's retries); `settled()` before the workflow ends or
 * continues as new, so none is abandoned.
 */
export class BackgroundEvents {
  private pending: Promise<unknown>[] = [];

  raise(event: RaisedEvent, channels?: string[]): void {
    this.pending.push(raiseEvent(event, channels));
  }

  async settled(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
  }
}

/** A legacy notify list holds URLs and email addresses; channel names hold neither ':' nor '@'. */
export function isLegacyTarget(target: string): boolean {
  return target.includes('@') || target.includes(':');
}

/**
 * A scheduled run's notification: raised as `event` to its schedule's channels (`notify`, names),
 * or, for a run whose list still holds URLs and addresses or that was recorded before events, the
 * legacy `notify` activity with `legacy`.
 */
export async function notifyScheduledRun(notify: string[] | undefined, legacy: Omit<NotifyEvent, 'workflowId' | 'time'>, event: RaisedEvent): Promise<NotificationOutcome | undefined> {
  if (notify?.some(isLegacyTarget) || !raisesEvents()) return notifyTargets(notify, legacy);
  return raiseEvent(event, notify);
}
