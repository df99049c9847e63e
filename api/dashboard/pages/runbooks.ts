// The Runbooks page: running and recent executions (control/runbookListing.ts) with every step's state,
// and for a step waiting for approval a Reject and an Approve form (plain form POSTs: no script),
// decided as the signed-in token's name. Each decision is its own form with its own note, so Enter
// in a note sends the decision beside it, never the other one.

import type { Client } from '@temporalio/client';
import { recentExecutions, type ExecutionListing } from '../../../control/runbookListing.js';
import type { StepState } from '../../../workflows/runbookDefs.js';
import { duration } from '../../../control/format.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { statusBadge } from './badges.js';

export async function runbooksPage(client: Client, now: Date): Promise<Html> {
  const executions = await recentExecutions(client);
  if (executions.length === 0) return html`<p class="muted">No runbook executions yet (meridian runbook run NAME).</p>`;
  return html`${executions.map((e) => execution(e, now))}`;
}

function execution(e: ExecutionListing, now: Date): Html {
  const s = e.state;
  const status = s?.status ?? e.status ?? e.workflowStatus.toLowerCase();
  const heading = html`<h2 data-execution="${e.workflowId}">${e.runbook ?? s?.runbook ?? 'runbook'} <span class="muted">${e.workflowId}</span> ${statusBadge(status)}</h2>
<p class="muted">started ${when(e.startedAt, now)}${s?.startedBy ? ` by ${s.startedBy}` : ''}${s?.durationMs !== undefined ? `, took ${duration(s.durationMs / 1000)}` : ''}${
    s?.rtoSeconds !== undefined ? `, measured RTO ${duration(s.rtoSeconds)}` : ''
  }${s?.dryRun ? ' (dry run)' : ''}</p>${s?.error ? html`<p class="bad">${s.error}</p>` : ''}${e.unreadable ? html`<p class="warn">${e.unreadable}</p>` : ''}`;
  if (!s) return heading;
  return html`${heading}<table><thead><tr><th>Step</th><th>Kind</th><th>Status</th><th>Took</th><th>Detail</th></tr></thead><tbody>${s.steps.map(
    (step) => html`<tr data-step="${step.name}"><td><b>${step.name}</b></td><td>${step.kind}${step.action ? html` <span class="muted">(${step.action})</span>` : ''}</td>
<td>${statusBadge(step.status)}</td><td>${step.durationMs !== undefined ? duration(step.durationMs / 1000) : '—'}</td><td>${stepDetail(e.workflowId, step, now)}</td></tr>`,
  )}</tbody></table>`;
}

function stepDetail(workflowId: string, step: StepState, now: Date): Html {
  const decision = step.decision
    ? html`${step.decision.approved ? 'approved' : 'rejected'} by <b>${step.decision.by}</b> ${when(step.decision.at, now)}${step.decision.note ? `: ${step.decision.note}` : ''}`
    : '';
  const error = step.error ? html`<span class="bad">${step.error}</span>` : '';
  if (step.status !== 'waiting-for-approval') return html`${decision}${error}`;
  return html`${decisionForm(workflowId, step.name, 'reject')}${decisionForm(workflowId, step.name, 'approve')}
<span class="muted">waiting for ${(step.approvers ?? []).join(', ') || 'an approver'}${step.approvalDeadline ? html`, decision due ${when(step.approvalDeadline, now)}` : ''}</span>`;
}

/** One decision on a waiting step: its note and its one submit button (Enter in the note sends this decision). */
export function decisionForm(workflowId: string, step: string, decision: 'approve' | 'reject'): Html {
  const label = decision === 'approve' ? 'Approve' : 'Reject';
  return html`<form method="post" action="/runbooks/${encodeURIComponent(workflowId)}/decide" class="decision ${decision}">
<input type="hidden" name="step" value="${step}"><input type="hidden" name="decision" value="${decision}">
<input type="text" name="note" placeholder="note (optional)" aria-label="note for ${decision === 'approve' ? 'approving' : 'rejecting'} ${step}">
<button type="submit" class="${decision}">${label}</button></form>`;
}
