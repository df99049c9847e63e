// Notifications end to end on the real Temporal dev server with a real worker whose meridian.yaml
// channels are a real local webhook receiver and a real SMTP server (smtp-server) started here.
// A failed backup raises backup-failed: the webhook answers 500 three times then 200 and gets
// exactly one successful delivery (four POSTs with one Idempotency-Key, each signature verified by
// the README's own recipe), the email channel beside it exactly one mail (the retries skip it), a
// channel that wants other kinds nothing. A runbook step waiting for approval raises
// runbook-waiting; its end raises runbook-finished, which the warning-minimum email channel filters;
// a step whose approval times out and escalates raises runbook-waiting again, naming the widened approvers.
// A backup whose changes look like ransomware (after four normal days) raises suspected-ransomware;
// a failed maintenance of an immutable repository raises immutable-maintenance-failed, a failed key
// rotation key-rotation-failed.

import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { startOperation } from '../../api/operations';
import { RunbookSchema } from '../../config/runbookSchema';
import type { NotificationChannel } from '../../config/schema';
import type { WorkerConfig } from '../../worker/workerConfig';
import type { MeridianEvent } from '../../workflows/eventDefs';
import { approveStepUpdate, RunbookInput, runbookWorkflowId } from '../../workflows/runbookDefs';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { eventually } from '../helpers/polling';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { backup } from '../../core/archiver';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { changeTiles, dayTime, encryptTiles, writeTiles } from '../helpers/ransomwareSource';
import { tempDir } from '../helpers/trees';
import { ReceivedRequest, startWebhookServer, WebhookServer } from '../helpers/webhookServer';

const SECRET = 'integration-signing-secret';

interface Mail {
  to: string[];
  /** Headers unfolded, by lower-case name. */
  headers: Record<string, string>;
  body: string;
}

/** The README's verifyMeridianSignature, from its `verify-signature.js` block. */
function readmeVerifier(): (secret: string, header: string, rawBody: string, nowSeconds?: number) => boolean {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const block = /<!-- readme-example: verify-signature\.js -->\n```js\n([\s\S]*?)\n```/.exec(readme);
  if (!block) throw new Error('README.md has no verify-signature.js block');
  return new Function('require', `${block[1]}\nreturn verifyMeridianSignature;`)(require);
}

/** An SMTP server on 127.0.0.1 that keeps every message it takes. */
async function startSmtpServer(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const split = text.indexOf('\r\n\r\n');
        const headers: Record<string, string> = {};
        for (const line of text.slice(0, split).replace(/\r\n(?=[ \t])/g, '').split('\r\n')) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), headers, body: text.slice(split + 4) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let t: TestConnection;
let worker: RunningWorker;
let hooks: WebhookServer;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

const at = (prefix: string) => (request: ReceivedRequest) => request.url.startsWith(prefix);

beforeAll(async () => {
  t = await testConnection();
  hooks = await startWebhookServer();
  smtp = await startSmtpServer();
  const work = tempDir('notifications');
  const secretFile = path.join(work, 'hook.secret');
  fs.writeFileSync(secretFile, `${SECRET}\n`);
  const notifications: Record<string, NotificationChannel> = {
    oncall: { webhook: { url: `${hooks.origin}/oncall?token=t0k`, secretFile }, minSeverity: 'info' },
    'ops-mail': { email: { to: ['ops@example.org', 'dba@example.org'], from: 'meridian@example.org', smtp: `smtp://127.0.0.1:${smtp.port}` }, minSeverity: 'warning' },
    approvals: { webhook: { url: `${hooks.origin}/approvals`, secretFile }, minSeverity: 'info', events: ['runbook-waiting'] },
  };
  const runbooks = {
    'sign-off': RunbookSchema.parse({ description: 'one approval', steps: [{ name: 'approve', kind: 'manual', approvers: ['alice'] }] }),
    'sign-off-escalating': RunbookSchema.parse({ description: 'escalates', steps: [{ name: 'approve', kind: 'manual', approvers: ['alice'], approvalTimeout: '1s', onTimeout: 'escalate', escalateTo: ['carol'] }] }),
  };
  const workerConfig: WorkerConfig = { repositories: [], sourceRoots: [], restoreRoots: [], origin: { kind: 'command' }, notifications, runbooks };
  worker = await startWorker(t, 'unused', uniqueTaskQueue('notify'), { workerConfig });
});

afterAll(async () => {
  await worker?.stop();
  await hooks?.close();
  await smtp?.close();
  await t?.close();
});

test('a failed backup raises backup-failed: a webhook answering 500 three times then 200 gets it once, signed; the email channel one mail', async () => {
  let oncallAnswers = 0;
  hooks.answerWith((request) => (at('/oncall')(request) && oncallAnswers++ < 3 ? 500 : 200));
  const source = '/meridian-notify-test-nowhere/tiles';
  const handle = await startOperation(t.client, 'backup', { repo: path.join(tempDir('notifications-repo'), 'repo'), path: source }, worker.taskQueue);
  await expect(handle.result()).rejects.toThrow();
  const { runId } = await handle.describe();

  // The workflow failed after raiseEvent returned: every delivery is in.
  const oncall = hooks.received.filter(at('/oncall'));
  expect(oncall).toHaveLength(4);
  const event = oncall[0]!.body as MeridianEvent;
  expect(event).toMatchObject({ id: `${handle.workflowId}:${runId}:failed`, kind: 'backup-failed', severity: 'critical', subject: source, workflowId: handle.workflowId, details: { operation: 'backup' } });
  expect(event.summary).toMatch(/failed: .*refused/);
  const verify = readmeVerifier();
  for (const request of oncall) {
    expect(request.body).toEqual(event);
    expect(request.headers).toMatchObject({ 'idempotency-key': event.id, 'meridian-event': 'backup-failed' });
    const signature = String(request.headers['meridian-signature']);
    expect(verify(SECRET, signature, request.rawBody)).toBe(true);
    expect(verify('another secret', signature, request.rawBody)).toBe(false);
    expect(verify(SECRET, signature, request.rawBody.replace('critical', 'info'))).toBe(false);
    expect(verify(SECRET, signature, request.rawBody, Math.floor(Date.now() / 1000) + 600)).toBe(false); // a replay 10 minutes on
  }
  // 3 × 500 then 200: one successful delivery.
  expect(oncallAnswers).toBe(4);

  expect(smtp.mails).toHaveLength(1);
  const [mail] = smtp.mails;
  expect(mail!.to).toEqual(['ops@example.org', 'dba@example.org']);
  expect(mail!.headers.subject).toBe(`[Meridian] critical: ${event.summary}`);
  expect(mail!.headers['message-id']).toBe(`<${event.id}@meridian>`);
  expect(mail!.headers['meridian-event']).toBe('backup-failed');
  expect(mail!.body).toContain(`subject: ${source}`);

  expect(hooks.received.filter(at('/approvals'))).toHaveLength(0);
});

test('a backup whose changes look like ransomware raises suspected-ransomware, naming the reasons and how to lift the hold', async () => {
  const repoDir = tempDir('notifications-ransomware');
  const source = tempDir('notifications-tiles');
  const repo = await Repository.init(new LocalStorage(repoDir), 'unused', { packSizeMiB: 1 });
  writeTiles(source, 100);
  for (let day = 0; day <= 3; day++) {
    if (day > 0) changeTiles(source, 100, day, 2);
    await backup(repo, { source, type: 'incremental', time: dayTime(day), threads: 0 });
  }
  encryptTiles(source, 100, 0.8);
  const before = hooks.received.length;
  const handle = await startOperation(t.client, 'backup', { repo: repoDir, path: source }, worker.taskQueue);
  const result = await handle.result();
  expect(result.suspectedRansomware?.reasons).toHaveLength(3);
  const events = hooks.received.slice(before).filter(at('/oncall')).map((request) => request.body as MeridianEvent);
  expect(events).toEqual([
    expect.objectContaining({
      kind: 'suspected-ransomware',
      severity: 'critical',
      subject: `${source} into ${repoDir}`,
      details: expect.objectContaining({ snapshotId: result.snapshotId, reasons: result.suspectedRansomware!.reasons.join('; ') }),
    }),
  ]);
  expect(events[0]!.summary).toContain(`meridian alerts ack ${result.snapshotId.slice(0, 8)} --repo ${repoDir}`);
});

test("a failed maintenance of an immutable repository raises immutable-maintenance-failed (critical), with the reason", async () => {
  const repoDir = tempDir('notifications-immutable');
  const before = hooks.received.length;
  const handle = await startOperation(t.client, 'immutable-maintenance', { repo: repoDir }, worker.taskQueue);
  await expect(handle.result()).rejects.toThrow();
  const events = hooks.received.slice(before).filter(at('/oncall')).map((request) => request.body as MeridianEvent);
  expect(events).toEqual([expect.objectContaining({ kind: 'immutable-maintenance-failed', severity: 'critical' })]);
  expect(events[0]!.summary).toMatch(/^maintenance of the immutable repository .* failed: .*immutable repositories are supported on S3 \(Object Lock\) only; local is not/);
});

test('a failed key rotation raises key-rotation-failed (critical): the old key still opens the repository', async () => {
  const notARepository = tempDir('notifications-rotation');
  const before = hooks.received.length;
  const handle = await startOperation(t.client, 'key-rotation', { repo: notARepository }, worker.taskQueue);
  await expect(handle.result()).rejects.toThrow();
  const events = hooks.received.slice(before).filter(at('/oncall')).map((request) => request.body as MeridianEvent);
  expect(events).toEqual([expect.objectContaining({ kind: 'key-rotation-failed', severity: 'critical' })]);
  expect(events[0]!.summary).toMatch(/^key rotation of .* failed: .*not a Meridian repository/);
});

test('a runbook step waiting for approval raises runbook-waiting; its end raises runbook-finished where wanted', async () => {
  hooks.answerWith(() => 200);
  hooks.received.length = 0;
  smtp.mails.length = 0;
  const workflowId = runbookWorkflowId('sign-off', uniqueTaskQueue('exec'));
  const input: RunbookInput = { runbook: 'sign-off', params: {} };
  const handle = await t.client.workflow.start('runbookWorkflow', { taskQueue: worker.taskQueue, workflowId, args: [input] });

  const waiting = await eventually('the runbook-waiting event', () => hooks.received.find(at('/approvals')));
  expect(waiting.body).toMatchObject({ id: `${workflowId}:approve:waiting`, kind: 'runbook-waiting', severity: 'warning', subject: 'sign-off', details: { step: 'approve', approvers: 'alice' } });
  await handle.executeUpdate(approveStepUpdate, { args: [{ step: 'approve', by: 'alice' }] });
  await handle.result();

  // The execution ended after its events were delivered.
  const kinds = (prefix: string) => hooks.received.filter(at(prefix)).map((r) => (r.body as MeridianEvent).kind);
  expect(kinds('/approvals')).toEqual(['runbook-waiting']);
  expect(kinds('/oncall').sort()).toEqual(['runbook-finished', 'runbook-waiting']);
  expect(hooks.received.find((r) => (r.body as MeridianEvent).kind === 'runbook-finished')!.body).toMatchObject({ id: `${workflowId}:finished`, severity: 'info', summary: 'runbook sign-off succeeded' });
  // The mail channel wants warning and above: the waiting step, not the (info) success.
  expect(smtp.mails.map((m) => m.headers['meridian-event'])).toEqual(['runbook-waiting']);
});

test('a step escalating after its approval timeout raises runbook-waiting again, to the widened approvers', async () => {
  hooks.answerWith(() => 200);
  hooks.received.length = 0;
  const workflowId = runbookWorkflowId('sign-off-escalating', uniqueTaskQueue('exec'));
  const input: RunbookInput = { runbook: 'sign-off-escalating', params: {} };
  const handle = await t.client.workflow.start('runbookWorkflow', { taskQueue: worker.taskQueue, workflowId, args: [input] });

  const escalated = await eventually('the escalated runbook-waiting event', () => hooks.received.find((r) => at('/approvals')(r) && (r.body as MeridianEvent).id.endsWith(':escalated')));
  expect(escalated.body).toMatchObject({ id: `${workflowId}:approve:escalated`, kind: 'runbook-waiting', subject: 'sign-off-escalating', details: { step: 'approve', approvers: 'alice, carol' } });
  expect((escalated.body as MeridianEvent).summary).toMatch(/escalated/);
  await handle.executeUpdate(approveStepUpdate, { args: [{ step: 'approve', by: 'carol' }] });
  await handle.result();
  expect(hooks.received.filter(at('/approvals')).map((r) => (r.body as MeridianEvent).id)).toEqual([`${workflowId}:approve:waiting`, `${workflowId}:approve:escalated`]);
});
