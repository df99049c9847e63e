// The `notifyEvent` activity: delivers one event to the channels of the worker's meridian.yaml that
// want it (activities/notifyRouting.ts), webhooks and emails in parallel. Each channel that took the
// event is recorded in heartbeat details, so a retry (Temporal's, after a channel failed) sends only
// to the channels not reached yet: a webhook answering 500, 500, 500 then 200 gets one successful
// delivery, and the other channels one each. Logs and failures name a channel and its webhook by
// scheme://host/path (an email channel by its SMTP server), never secrets. No channel configured:
// nothing to do. `delivered` lists channels in configuration order, however the sends finished.

import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { NotificationChannel } from '../config/schema.js';
import type { WorkerConfig } from '../worker/workerConfig.js';
import type { MeridianEvent, NotifyEventInput, NotifyEventOutput } from '../workflows/eventDefs.js';
import { boundedMessage } from '../workflows/failurePolicy.js';
import { deliverEmail, emailLabel } from './emailChannel.js';
import { routeEvent } from './notifyRouting.js';
import { deliverWebhook, webhookLabel } from './webhookChannel.js';

export interface NotifyDeps {
  workerConfig?: WorkerConfig;
}

export function createNotifyActivities(deps: NotifyDeps) {
  return {
    async notifyEvent(input: NotifyEventInput): Promise<NotifyEventOutput> {
      const context = Context.current();
      const channels = deps.workerConfig?.notifications ?? {};
      if (Object.keys(channels).length === 0) return { delivered: [], filtered: [] };
      const { event } = input;
      const route = routeEvent(channels, event, input.channels);
      if (route.unknown.length > 0) context.log.warn('notification channels not in this worker\'s meridian.yaml', { channels: route.unknown, event: event.id });
      const reachedBefore = new Set((context.info.heartbeatDetails as string[] | undefined) ?? []);
      const reached = new Set([...reachedBefore].filter((name) => route.send.some(([sent]) => sent === name)));
      const failures: string[] = [];
      await Promise.all(
        route.send.map(async ([name, channel]) => {
          if (reachedBefore.has(name)) return;
          const problem = await deliver(channel, event, context.cancellationSignal);
          const where = `channel ${name} (${channelLabel(channel)})`;
          if (problem !== undefined) {
            failures.push(`${where} ${problem}`);
            context.log.warn('notification not delivered', { channel: name, target: channelLabel(channel), problem, event: event.id, kind: event.kind });
            return;
          }
          reached.add(name);
          context.heartbeat([...reached]);
          context.log.info('notification delivered', { channel: name, target: channelLabel(channel), event: event.id, kind: event.kind });
        }),
      );
      if (failures.length > 0) {
        throw ApplicationFailure.create({ type: 'notification-undelivered', message: boundedMessage(`notification ${event.id} not delivered: ${failures.join('; ')}`), nonRetryable: false });
      }
      const delivered = route.send.map(([name]) => name).filter((name) => reached.has(name));
      return { delivered, filtered: route.filtered, ...(route.unknown.length > 0 ? { unknown: route.unknown } : {}) };
    },
  };
}

/** Undefined when the channel took the event, else why not (one line, no secrets); a cancellation is rethrown. */
async function deliver(channel: NotificationChannel, event: MeridianEvent, cancellation: AbortSignal): Promise<string | undefined> {
  try {
    if (channel.webhook) return await deliverWebhook(channel.webhook, event, cancellation);
    return await deliverEmail(channel.email!, event);
  } catch (err) {
    if (cancellation.aborted) throw err;
    return err instanceof Error ? err.message : String(err);
  }
}

function channelLabel(channel: NotificationChannel): string {
  return channel.webhook ? webhookLabel(channel.webhook) : emailLabel(channel.email!);
}
