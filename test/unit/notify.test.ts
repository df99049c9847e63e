// The notify activity (activities/notify.ts) against a real local http server: a webhook gets
// the event as JSON; a 500 fails the attempt as retryable and the next attempt (as Temporal
// would run it, with the first attempt's heartbeat details) delivers without posting twice to
// the target already reached; email targets are logged as not sent; no log line or failure
// carries a webhook's token (query string or user info).

import type { LogLevel, LogMetadata } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { EMAIL_NOT_SENT, notify, NotifyInput } from '../../activities/notify';
import { NOTIFY_OPTIONS } from '../../workflows/activityOptions';
import { FAILURE_RETRYABLE } from '../../workflows/failurePolicy';
import { NotifyEvent } from '../../workflows/shared';
import { startWebhookServer, WebhookServer } from '../helpers/webhookServer';

const TOKEN = 's3cr3t-t0ken';
const PASSWORD = 'hunter2-pw';

const event: NotifyEvent = {
  kind: 'scheduled-backup-failed',
  schedule: 'tiles-hourly',
  repository: 'main',
  workflowId: 'scheduled-backup:tiles-hourly',
  message: 'backup of /data/tiles failed: no such directory',
  time: '2026-11-30T04:00:00.000Z',
};

interface LogLine {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

/** A mock activity context (attempt, heartbeat details) whose log lines and heartbeats are kept. */
function activityEnvironment(info: { attempt: number; heartbeatDetails?: unknown }) {
  const lines: LogLine[] = [];
  const record = (level: LogLevel) => (message: string, meta?: LogMetadata) => lines.push({ level, message, meta });
  const logger = { log: (level: LogLevel, message: string, meta?: LogMetadata) => lines.push({ level, message, meta }), trace: record('TRACE'), debug: record('DEBUG'), info: record('INFO'), warn: record('WARN'), error: record('ERROR') };
  const env = new MockActivityEnvironment(info, { logger });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return { run: (input: NotifyInput) => env.run(notify, input), lines, heartbeats };
}

const unexpectedSuccess = (): ApplicationFailure => {
  throw new Error('the notification was expected to fail');
};

let server: WebhookServer;
beforeEach(async () => {
  server = await startWebhookServer();
});
afterEach(() => server.close());

test('a webhook gets the event as a JSON POST; an email target is logged as not sent', async () => {
  const env = activityEnvironment({ attempt: 1 });
  const outcome = await env.run({ targets: [`${server.origin}/hooks/backup?token=${TOKEN}`, 'ops@example.org'], event });
  expect(outcome).toEqual({ delivered: 1, skipped: 1 });
  expect(server.received).toHaveLength(1);
  expect(server.received[0]).toMatchObject({ method: 'POST', url: `/hooks/backup?token=${TOKEN}`, body: event });
  expect(server.received[0]!.headers['content-type']).toBe('application/json');
  expect(env.lines.filter((l) => l.message === EMAIL_NOT_SENT)).toEqual([expect.objectContaining({ level: 'WARN', meta: expect.objectContaining({ target: 'ops@example.org' }) })]);
  expect(JSON.stringify(env.lines)).not.toContain(TOKEN);
  expect(JSON.stringify(env.lines)).toContain(`${server.origin}/hooks/backup`);
});

test('a 500 fails the attempt as retryable; the retry delivers, and the target reached before is not posted to again', async () => {
  const reachedFirst = `${server.origin}/a?token=${TOKEN}`;
  const failingFirst = `http://ops:${PASSWORD}@127.0.0.1:${new URL(server.origin).port}/b?sig=${TOKEN}`;
  server.answerWith((request) => (request.url.startsWith('/b') ? 500 : 200));
  const first = activityEnvironment({ attempt: 1 });
  const failure = await first.run({ targets: [reachedFirst, failingFirst], event }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  const applicationFailure = failure as ApplicationFailure;
  expect(applicationFailure).toMatchObject({ type: 'notification-undelivered', nonRetryable: false });
  expect(applicationFailure.message).toMatch(/127\.0\.0\.1:\d+\/b answered 500/);
  expect(FAILURE_RETRYABLE['notification-undelivered']).toBe(true);
  expect(NOTIFY_OPTIONS.retry?.maximumAttempts).toBeGreaterThan(1);
  expect(NOTIFY_OPTIONS.retry?.nonRetryableErrorTypes).not.toContain('notification-undelivered');
  expect(server.received.map((r) => r.url).sort()).toEqual([`/a?token=${TOKEN}`, `/b?sig=${TOKEN}`]);
  // User info travels as Basic authorization (fetch refuses URLs with credentials).
  expect(server.received.find((r) => r.url.startsWith('/b'))!.headers.authorization).toBe(`Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}`);

  server.answerWith(() => 200);
  const retry = activityEnvironment({ attempt: 2, heartbeatDetails: first.heartbeats.at(-1) });
  await expect(retry.run({ targets: [reachedFirst, failingFirst], event })).resolves.toEqual({ delivered: 2, skipped: 0 });
  expect(server.received.map((r) => r.url).sort()).toEqual([`/a?token=${TOKEN}`, `/b?sig=${TOKEN}`, `/b?sig=${TOKEN}`]);

  for (const text of [JSON.stringify(first.lines), JSON.stringify(retry.lines), applicationFailure.message]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(PASSWORD);
  }
});

test('an unreachable webhook fails retryably without its token; a malformed URL fails at once without it', async () => {
  const port = new URL(server.origin).port;
  await server.close();
  server = await startWebhookServer(); // afterEach closes this one
  const env = activityEnvironment({ attempt: 1 });
  const unreachable = await env.run({ targets: [`http://127.0.0.1:${port}/gone?token=${TOKEN}`], event }).then(unexpectedSuccess, (err: unknown) => err as ApplicationFailure);
  expect(unreachable).toMatchObject({ type: 'notification-undelivered', nonRetryable: false });
  expect(unreachable.message).toMatch(/unreachable: ECONNREFUSED/);
  const malformed = await env.run({ targets: [`https://exa mple.org/?token=${TOKEN}`], event }).then(unexpectedSuccess, (err: unknown) => err as ApplicationFailure);
  expect(malformed).toMatchObject({ type: 'invalid-argument', nonRetryable: true });
  for (const text of [JSON.stringify(env.lines), unreachable.message, malformed.message]) expect(text).not.toContain(TOKEN);
});
