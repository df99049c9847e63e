// The coloured words of the dashboard's tables: an operation's or execution's status.

import { html, type Html } from '../html.js';

const CLASS: Record<string, string> = {
  completed: 'ok',
  succeeded: 'ok',
  running: 'warn',
  'waiting-for-approval': 'warn',
  failed: 'bad',
  canceled: 'bad',
  cancelled: 'bad',
  terminated: 'bad',
  timed_out: 'bad',
};

export function statusBadge(status: string): Html {
  return html`<span class="${CLASS[status] ?? 'muted'}">${status}</span>`;
}
