// The notifyEvent activity (activities/notifyEvent.ts) against a real local webhook receiver, with
// the channels of a worker's meridian.yaml: signed POSTs with the idempotency key, routing by
// severity, kind and the raiser's list, and a retry (as Temporal runs it, with the earlier
// attempt's heartbeat details) that sends only to the channel not reached yet. No log line or
// failure carries the secret or the URL's query.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createNotifyActivities } from '../../activities/notifyEvent';
import type { NotificationChannel } from '../../config/schema';
import type { WorkerConfig } from '../../worker/workerConfig';
import type { MeridianEvent, NotifyEventInput } from '../../workflows/eventDefs';
import { startWebhookServer, WebhookServer } from '../helpers/webhookServer';

const SECRET = 'whsec-unit-test-secret';
const TOKEN = 'query-token-123';

const event: MeridianEvent = {
  id: 'backup-x:run-1:failed',
  kind: 'backup-failed',
  severity: 'critical',
  time: '2026-11-30T04:00:00.000Z',
  subject: '/data/tiles',
  summary: 'backup of /data/tiles failed: no such directory',
  workflowId: 'backup-x',
};

let server: WebhookServer;
let secretFile: string;
beforeEach(async () => {
  server = await startWebhookServer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-event-'));
  secretFile = path.join(dir, 'hook.secret');
  fs.writeFileSync(secretFile, `${SECRET}\n`);
});
afterEach(() => server.close());

function hook(pathname: string, extra: Partial<NotificationChannel> = {}): NotificationChannel {
  return { webhook: { url: `${server.origin}${pathname}?token=${TOKEN}`, secretFile }, minSeverity: 'info', ...extra };
}

function activity(notifications: Record<string, NotificationChannel>, info: { attempt: number; heartbeatDetails?: unknown }) {
  const lines: { level: LogLevel; message: string; meta?: LogMetadata }[] = [];
  const record = (level: LogLevel) => (message: string, meta?: LogMetadata) => lines.push({ level, message, meta });
  const logger = { log: (level: LogLevel, message: string, meta?: LogMetadata) => lines.push({ level, message, meta }), trace: record('TRACE'), debug: record('DEBUG'), info: record('INFO'), warn: record('WARN'), error: record('ERROR') };
  const env = new MockActivityEnvironment(info, { logger });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const workerConfig = { repositories: [], sourceRoots: [], restoreRoots: [], origin: { kind: 'command' }, notifications } satisfies WorkerConfig;
  const { notifyEvent } = createNotifyActivities({ workerConfig });
  return { run: (input: NotifyEventInput) => env.run(notifyEvent, input), lines, heartbeats };
}

test('a webhook gets the event signed, with its idempotency key and kind', async () => {
  const outcome = await activity({ ops: hook('/ops') }, { attempt: 1 }).run({ event });
  expect(outcome).toEqual({ delivered: ['ops'], filtered: [] });
  const [request] = server.received;
  expect(request).toMatchObject({ method: 'POST', url: `/ops?token=${TOKEN}`, body: event });
  expect(request!.headers).toMatchObject({ 'idempotency-key': event.id, 'meridian-event': 'backup-failed', 'content-type': 'application/json' });
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request!.headers['meridian-signature']));
  expect(match).not.toBeNull();
  const expected = crypto.createHmac('sha256', SECRET).update(`${match![1]}.${request!.rawBody}`).digest('hex');
  expect(match![2]).toBe(expected);
  expect(Math.abs(Date.now() / 1000 - Number(match![1]))).toBeLessThan(300);
});

test('routing: minSeverity, events and the raiser\'s list decide; unknown names are reported, not sent', async () => {
  const channels = {
    all: hook('/all'),
    criticalOnly: hook('/critical', { minSeverity: 'critical' }),
    runbooksOnly: hook('/runbooks', { events: ['runbook-waiting', 'runbook-finished'] }),
  };
  const info: MeridianEvent = { ...event, id: 'rb:1:finished', kind: 'runbook-finished', severity: 'info' };
  await expect(activity(channels, { attempt: 1 }).run({ event: info })).resolves.toEqual({ delivered: ['all', 'runbooksOnly'], filtered: ['criticalOnly'] });
  expect(server.received.map((r) => r.url.split('?')[0]).sort()).toEqual(['/all', '/runbooks']);

  server.received.length = 0;
  const listed = await activity(channels, { attempt: 1 }).run({ event, channels: ['criticalOnly', 'runbooksOnly', 'gone'] });
  expect(listed).toEqual({ delivered: ['criticalOnly'], filtered: ['runbooksOnly'], unknown: ['gone'] });
  expect(server.received.map((r) => r.url.split('?')[0])).toEqual(['/critical']);
});

test('no channel configured: nothing to do', async () => {
  await expect(activity({}, { attempt: 1 }).run({ event })).resolves.toEqual({ delivered: [], filtered: [] });
  expect(server.received).toHaveLength(0);
});

test('a 500 fails the attempt retryably; the retry sends only to the channel not reached, and nothing names the secret or query', async () => {
  server.answerWith((request) => (request.url.startsWith('/flaky') ? 500 : 200));
  const channels = { steady: hook('/steady'), flaky: hook('/flaky') };
  const first = activity(channels, { attempt: 1 });
  const failure = await first.run({ event }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'notification-undelivered', nonRetryable: false });
  expect((failure as Error).message).toMatch(/channel flaky \(http:\/\/127\.0\.0\.1:\d+\/flaky\) answered 500/);
  expect(first.heartbeats.at(-1)).toEqual(['steady']);

  server.answerWith(() => 200);
  const retry = activity(channels, { attempt: 2, heartbeatDetails: first.heartbeats.at(-1) });
  await expect(retry.run({ event })).resolves.toEqual({ delivered: ['steady', 'flaky'], filtered: [] });
  const ok = server.received.filter((r) => r.url.startsWith('/steady'));
  expect(ok).toHaveLength(1);
  expect(server.received.filter((r) => r.url.startsWith('/flaky'))).toHaveLength(2);
  for (const text of [JSON.stringify(first.lines), JSON.stringify(retry.lines), (failure as Error).message]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
  }
});

test('an unreadable secret file fails the channel retryably, naming the file only', async () => {
  const failure = await activity({ ops: { ...hook('/ops'), webhook: { url: `${server.origin}/ops`, secretFile: '/nonexistent/secret' } } }, { attempt: 1 })
    .run({ event })
    .then(
      () => undefined,
      (err: unknown) => err as Error,
    );
  expect(failure?.message).toMatch(/channel ops .* cannot read webhook secret file \/nonexistent\/secret: ENOENT/);
  expect(server.received).toHaveLength(0);
});
