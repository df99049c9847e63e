// The Schedules page: the Schedules `meridian apply` made (schedules/inspect.ts), each with its
// kind, spec in words, paused note and next run.

import type { Client } from '@temporalio/client';
import { listSchedules } from '../../../schedules/inspect.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';

export async function schedulesPage(client: Client, now: Date): Promise<Html> {
  const schedules = await listSchedules(client);
  if (schedules.length === 0) return html`<p class="muted">No schedules: meridian apply makes them from meridian.yaml's schedules.</p>`;
  return html`<table><thead><tr><th>Schedule</th><th>Kind</th><th>When</th><th>State</th><th>Next run</th></tr></thead><tbody>${schedules.map(
    (s) => html`<tr data-schedule="${s.name}"><td><b>${s.name}</b></td><td>${s.kind}</td><td><code>${s.spec}</code></td>
<td>${s.paused ? html`<span class="warn">paused</span>${s.note ? html`<br><span class="muted">${s.note}</span>` : ''}` : html`<span class="ok">active</span>`}</td>
<td>${s.nextRun ? when(s.nextRun, now) : html`<span class="muted">none coming</span>`}${s.paused && s.nextRun ? html` <span class="muted">(if resumed)</span>` : ''}</td></tr>`,
  )}</tbody></table>`;
}
