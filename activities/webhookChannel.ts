// Delivery of an event to a webhook channel: POST of the event as JSON, signed so the receiver
// knows it comes from us and is fresh. Headers: `Idempotency-Key: <event id>` (a retried delivery
// carries the same key), `Meridian-Event: <kind>`, `Meridian-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA-256(secret, "<t>.<body>")>` (README "Notifications" has the receiver's recipe: receivers
// reject a t older than 5 minutes). The secret is read from its file at each delivery.

import { createHmac } from 'node:crypto';
import type { NotificationChannel } from '../config/schema.js';
import type { MeridianEvent } from '../workflows/eventDefs.js';
import { readSecretFile } from './secretFile.js';
import { postJson, redactedUrl } from './webhookPost.js';

export type WebhookSettings = NonNullable<NotificationChannel['webhook']>;

/** The Meridian-Signature header value for `body` sent at unix time `t` (seconds). */
export function webhookSignature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** What logs and failures may say of the channel's URL. */
export function webhookLabel(webhook: WebhookSettings): string {
  try {
    return redactedUrl(new URL(webhook.url));
  } catch {
    return 'webhook (URL does not parse)';
  }
}

/** Undefined when delivered (2xx), else what went wrong, in one line without secrets. */
export async function deliverWebhook(webhook: WebhookSettings, event: MeridianEvent, cancellation: AbortSignal): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(webhook.url);
  } catch {
    return 'the URL does not parse'; // the parser's message quotes the URL
  }
  const secret = await readSecretFile(webhook.secretFile, 'webhook secret file');
  const body = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  return postJson(url, body, { 'idempotency-key': event.id, 'meridian-event': event.kind, 'meridian-signature': webhookSignature(secret, t, body) }, cancellation);
}
