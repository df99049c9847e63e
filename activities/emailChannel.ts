// Delivery of an event to an email channel through nodemailer's SMTP transport: Subject
// `[Meridian] <severity>: <summary>`, a text body with the facts, and `Message-ID: <<event id>@meridian>`
// so a re-sent mail is recognisable as the same event. smtps:// is TLS from the start, smtp:// may
// upgrade with STARTTLS, and must when there are credentials (they never cross in clear).
// Credentials (userFile, passwordFile) are read from their files at delivery.

import type { NotificationChannel } from '../config/schema.js';
import type { MeridianEvent } from '../workflows/eventDefs.js';
import { readSecretFile } from './secretFile.js';

export type EmailSettings = NonNullable<NotificationChannel['email']>;

/** How long the SMTP conversation may take, step by step. */
const SMTP_TIMEOUT_MS = 10_000;

/** What logs and failures may say of the channel: its SMTP server. */
export function emailLabel(email: EmailSettings): string {
  const url = new URL(email.smtp);
  return `${url.protocol}//${url.host}`;
}

export function emailSubject(event: MeridianEvent): string {
  return `[Meridian] ${event.severity}: ${event.summary}`;
}

/** The mail's text: the summary, then one fact a line. */
export function emailText(event: MeridianEvent): string {
  const facts: [string, string | number | boolean | undefined][] = [
    ['event', event.kind],
    ['severity', event.severity],
    ['subject', event.subject],
    ['time', event.time],
    ['workflow', event.workflowId],
    ...Object.entries(event.details ?? {}),
    ['id', event.id],
  ];
  return [event.summary, '', ...facts.filter(([, value]) => value !== undefined).map(([key, value]) => `${key}: ${String(value)}`), ''].join('\n');
}

/** Undefined when the SMTP server took the mail, else what went wrong, in one line without secrets. */
export async function deliverEmail(email: EmailSettings, event: MeridianEvent): Promise<string | undefined> {
  const url = new URL(email.smtp);
  const secure = url.protocol === 'smtps:';
  const user = email.userFile !== undefined ? await readSecretFile(email.userFile, 'SMTP user file') : undefined;
  const pass = email.passwordFile !== undefined ? await readSecretFile(email.passwordFile, 'SMTP password file') : undefined;
  // Loaded on first use: a worker that never sends mail does not hold nodemailer (~13 MiB alone).
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && (user !== undefined || pass !== undefined),
    ...(user !== undefined ? { auth: { user, pass } } : {}),
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: email.from,
      to: email.to,
      subject: emailSubject(event),
      text: emailText(event),
      messageId: `<${event.id}@meridian>`,
      headers: { 'Meridian-Event': event.kind },
    });
    return undefined;
  } catch (err) {
    return smtpProblem(err);
  } finally {
    transport.close();
  }
}

/** nodemailer's failure as its code and SMTP reply code (its message may quote credentials or addresses). */
function smtpProblem(err: unknown): string {
  const failure = err as { code?: unknown; responseCode?: unknown } | undefined;
  const code = typeof failure?.code === 'string' ? failure.code : 'error';
  return typeof failure?.responseCode === 'number' ? `SMTP ${code} (reply ${failure.responseCode})` : `SMTP ${code}`;
}
