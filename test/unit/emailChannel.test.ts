// The email channel (activities/emailChannel.ts) against a real SMTP server (smtp-server) on
// 127.0.0.1 that offers no STARTTLS and would take a login in clear: a channel with credentials over
// smtp:// refuses to send them (no login reaches the server, no mail), one without sends its mail.

import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { deliverEmail, EmailSettings } from '../../activities/emailChannel';
import type { MeridianEvent } from '../../workflows/eventDefs';

const event: MeridianEvent = { id: 'backup-x:run-1:failed', kind: 'backup-failed', severity: 'critical', time: '2026-11-30T04:00:00.000Z', subject: '/data', summary: 'backup of /data failed' };

let server: SMTPServer;
let port: number;
const logins: string[] = [];
let mails = 0;
beforeAll(async () => {
  server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(`${auth.username}:${auth.password}`);
      callback(null, { user: auth.username });
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        mails++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function settings(extra: Partial<EmailSettings> = {}): EmailSettings {
  return { to: 'ops@example.org', from: 'meridian@example.org', smtp: `smtp://127.0.0.1:${port}`, ...extra };
}

test('credentials over smtp:// without STARTTLS are not sent: the delivery fails and no login reaches the server', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'email-channel-'));
  fs.writeFileSync(path.join(dir, 'user'), 'mailer\n');
  fs.writeFileSync(path.join(dir, 'pass'), 'smtp-password-123\n');
  const problem = await deliverEmail(settings({ userFile: path.join(dir, 'user'), passwordFile: path.join(dir, 'pass') }), event);
  expect(problem).toMatch(/^SMTP \S+/);
  expect(problem).not.toContain('smtp-password-123');
  expect(logins).toEqual([]);
  expect(mails).toBe(0);
});

test('without credentials smtp:// may stay in clear: the mail is delivered', async () => {
  const before = mails;
  await expect(deliverEmail(settings(), event)).resolves.toBeUndefined();
  expect(mails).toBe(before + 1);
});
