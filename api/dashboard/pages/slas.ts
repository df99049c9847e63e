// The SLAs page: every SLA as the SLA monitor last evaluated it (control/slas.ts): compliant or
// not, RPO and RTO against their targets, compliance over 24 h, 7 d and 30 d, open violations.

import type { Client } from '@temporalio/client';
import { COMPLIANCE_WINDOWS, type ComplianceWindow, type SlaStatus } from '../../../workflows/slaDefs.js';
import { readMonitor } from '../fleet.js';
import { duration, percent } from '../../../control/format.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';

const WINDOWS = Object.keys(COMPLIANCE_WINDOWS) as ComplianceWindow[];

export async function slasPage(client: Client, now: Date): Promise<Html> {
  const monitor = await readMonitor(client);
  if (!monitor.view) return html`<p class="warn">${monitor.note}</p>`;
  const view = monitor.view;
  if (view.slas.length === 0) return html`<p class="muted">meridian.yaml defines no SLAs.</p>`;
  return html`<p class="muted">Evaluated ${when(view.evaluatedAt, now)} (every ${duration(view.intervalSeconds)}, ${view.evaluations} evaluations).${
    view.lastError ? html` <span class="warn">Last observation failed: ${view.lastError}</span>` : ''
  }</p>
<table><thead><tr><th>SLA</th><th>Now</th><th>RPO / target</th><th>RTO / target</th>${WINDOWS.map((w) => html`<th>Compliance ${w}</th>`)}<th>Open violations</th></tr></thead><tbody>${view.slas.map((sla) => row(sla, now))}</tbody></table>`;
}

function row(sla: SlaStatus, now: Date): Html {
  const state = !sla.enabled ? html`<span class="muted">disabled</span>` : sla.compliant ? html`<span class="ok">compliant</span>` : html`<span class="bad">not compliant</span>`;
  const violations = sla.openViolations.map(
    (v) => html`<li><b>${v.kind}</b> ${v.subject}: ${v.observedSeconds < 0 ? 'never' : duration(v.observedSeconds)} vs ${duration(v.targetSeconds)}, since ${when(v.start, now)}</li>`,
  );
  return html`<tr data-sla="${sla.name}"><td><b>${sla.name}</b><br><span class="muted">${sla.sources.map((s) => s.source).join(', ')}</span></td><td>${state}</td>
<td>${duration(sla.rpoSeconds)} / ${duration(sla.rpoTargetSeconds)}</td><td>${duration(sla.rtoSeconds)} / ${duration(sla.rtoTargetSeconds)}${sla.rtoMeasuredAt ? html`<br><span class="muted">measured ${when(sla.rtoMeasuredAt, now)}</span>` : ''}</td>
${WINDOWS.map((w) => html`<td>${percent(sla.compliance[w])}</td>`)}<td>${violations.length > 0 ? html`<ul>${violations}</ul>` : html`<span class="muted">none</span>`}</td></tr>`;
}
