// The legacy `notify` activity, for scheduled runs started before notification channels (their
// `notify` held URLs and addresses; newer runs raise events through notifyEvent, activities/notifyEvent.ts):
// tells a scheduled run's targets what happened. An http(s) target gets the
// event as a JSON POST (any answer but 2xx, a network error or a timeout fails the activity, and
// Temporal retries it a bounded number of times, see workflows/activityOptions.ts); an email target
// is only logged as not sent (delivery by email comes with the notifications issue). A webhook URL
// may carry a token in its query string or user info: logs and failures name scheme, host and path
// only. Delivery is at least once: a retry skips the targets its earlier attempts reached (recorded
// in heartbeat details), though an answer lost on the way back can still mean a second POST.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { boundedMessage } from '../workflows/failurePolicy.js';
import type { NotifyEvent, NotifyTarget } from '../workflows/shared.js';
import { postJson, redactedUrl } from './webhookPost.js';

export interface NotifyInput {
  targets: NotifyTarget[];
  event: NotifyEvent;
}

export interface NotifyOutput {
  /** Webhooks that answered 2xx (in this attempt or an earlier one). */
  delivered: number;
  /** Targets not delivered to by design (email, for now). */
  skipped: number;
}

export const EMAIL_NOT_SENT = 'email notification not sent: delivery by email comes with the notifications issue';

export async function notify(input: NotifyInput): Promise<NotifyOutput> {
  const context = Context.current();
  const reachedBefore = new Set<number>((context.info.heartbeatDetails as number[] | undefined) ?? []);
  const reached = new Set(reachedBefore);
  let skipped = 0;
  const failures: string[] = [];
  const webhooks = input.targets.map(webhookUrl); // every target checked before anything is sent
  await Promise.all(
    input.targets.map(async (target, index) => {
      const webhook = webhooks[index];
      if (!webhook) {
        skipped++;
        context.log.warn(EMAIL_NOT_SENT, { target, event: input.event.kind, schedule: input.event.schedule });
        return;
      }
      if (reachedBefore.has(index)) return;
      const problem = await postJson(webhook, JSON.stringify(input.event), {}, context.cancellationSignal);
      if (problem) {
        failures.push(`${redactedUrl(webhook)} ${problem}`);
        context.log.warn('webhook notification not delivered', { webhook: redactedUrl(webhook), problem, event: input.event.kind });
        return;
      }
      reached.add(index);
      context.heartbeat([...reached]);
      context.log.info('webhook notification delivered', { webhook: redactedUrl(webhook), event: input.event.kind });
    }),
  );
  if (failures.length > 0) {
    throw ApplicationFailure.create({ type: 'notification-undelivered', message: boundedMessage(`notification not delivered: ${failures.join('; ')}`), nonRetryable: false });
  }
  return { delivered: reached.size, skipped };
}

/** The target as a URL when it is an http(s) webhook; undefined for an email address. */
function webhookUrl(target: NotifyTarget): URL | undefined {
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    return new URL(target);
  } catch {
    // The parser's message quotes the URL, token and all.
    throw ApplicationFailure.create({ type: 'invalid-argument', message: 'a notify target is not a valid http(s) URL', nonRetryable: true });
  }
}
