// The `notify` activity: tells a scheduled run's targets what happened. An http(s) target gets the
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

/** How long one webhook may take to answer. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

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
      const problem = await post(webhook, input.event, context.cancellationSignal);
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

/** What a log line may show of a webhook: scheme, host and path, never user info or query. */
export function redactedUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** POSTs the event; undefined when the webhook answered 2xx, else what went wrong (no secrets). */
async function post(url: URL, event: NotifyEvent, cancellation: AbortSignal): Promise<string | undefined> {
  // fetch refuses URLs with credentials: user info travels as Basic authorization instead.
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const target = new URL(url);
  if (target.username || target.password) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers,
      body: JSON.stringify(event),
      redirect: 'manual',
      signal: AbortSignal.any([cancellation, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    return response.ok ? undefined : `answered ${response.status}`;
  } catch (err) {
    if (cancellation.aborted) throw err;
    return `unreachable: ${networkProblem(err)}`;
  }
}

/** A fetch failure's reason without its URL: the timeout, or the innermost cause's code or name. */
function networkProblem(err: unknown): string {
  // Duck-typed, not `instanceof Error`: fetch's errors may come from another realm.
  type Failure = { name?: unknown; code?: unknown; cause?: unknown } | undefined;
  if ((err as Failure)?.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  let cause = err as Failure;
  while (typeof cause?.cause === 'object' && cause.cause !== null) cause = cause.cause as Failure;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.name === 'string' ? cause.name : 'network error';
}
