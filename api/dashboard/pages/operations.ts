// The Operations page: running operations with a progress bar from their live progress (bytes or
// items done of those found), and the newest finished ones with their outcome and duration
// (control/operations.ts). It refreshes itself while something runs.

import type { Client } from '@temporalio/client';
import { recentOperations, type OperationListing } from '../../../control/operations.js';
import { progressBar } from '../charts.js';
import { duration } from '../../../control/format.js';
import { bytes, when } from '../format.js';
import { html, type Html } from '../html.js';
import { statusBadge } from './badges.js';

/** Done-of-total pairs an operation's progress may carry, in order of preference (core/*Progress). */
const PROGRESS_PAIRS = [
  ['bytesDone', 'bytesFound'],
  ['bytesDone', 'bytesTotal'],
  ['done', 'total'],
  ['filesDone', 'filesTotal'],
] as const;

export function progressFraction(progress: Record<string, unknown> | undefined): number | undefined {
  for (const [done, total] of PROGRESS_PAIRS) {
    const d = progress?.[done];
    const t = progress?.[total];
    if (typeof d === 'number' && typeof t === 'number' && t > 0) return d / t;
  }
  return undefined;
}

export async function operationsPage(client: Client, now: Date): Promise<{ body: Html; running: boolean }> {
  const { running, recent } = await recentOperations(client);
  const runningRows = running.map(
    (op) => html`<tr data-workflow-id="${op.workflowId}"><td>${op.operation}</td>${about(op)}<td>${when(op.startedAt, now)}</td>
<td>${progressBar(progressFraction(op.progress))}${progressDetail(op.progress)}</td></tr>`,
  );
  const recentRows = recent.map(
    (op) => html`<tr data-workflow-id="${op.workflowId}"><td>${op.operation}</td>${about(op)}<td>${when(op.startedAt, now)}</td>
<td>${op.closedAt ? duration((Date.parse(op.closedAt) - Date.parse(op.startedAt)) / 1000) : '—'}</td><td>${statusBadge(op.status)}</td></tr>`,
  );
  const body = html`<h2>Running</h2>
<table><thead><tr><th>Operation</th><th>Repository</th><th>About</th><th>Started</th><th>Progress</th></tr></thead><tbody>${
    runningRows.length > 0 ? runningRows : html`<tr><td colspan="5" class="muted">nothing runs now</td></tr>`
  }</tbody></table>
<h2>Recent</h2>
<table><thead><tr><th>Operation</th><th>Repository</th><th>About</th><th>Started</th><th>Took</th><th>Outcome</th></tr></thead><tbody>${
    recentRows.length > 0 ? recentRows : html`<tr><td colspan="6" class="muted">none yet</td></tr>`
  }</tbody></table>`;
  return { body, running: running.length > 0 };
}

function about(op: OperationListing): Html {
  return html`<td><code>${op.repository ?? '—'}</code></td><td><code>${op.subject ?? '—'}</code><br><code class="muted">${op.workflowId}</code></td>`;
}

function progressDetail(progress: Record<string, unknown> | undefined): Html | string {
  const done = progress?.bytesDone;
  const waiting = progress?.waiting;
  return html`${typeof done === 'number' ? html`<br><span class="muted">${bytes(done)} done</span>` : ''}${typeof waiting === 'string' ? html`<br><span class="warn">${waiting}</span>` : ''}`;
}
