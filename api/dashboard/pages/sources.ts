// The Sources page: every source of meridian.yaml with its latest backup (Temporal visibility, so a
// backup that just ran shows at once), its newest good snapshot and RPO as the SLA monitor last
// measured them against the tightest RPO target of the SLAs that cover it, and a small RPO chart.

import type { Client } from '@temporalio/client';
import { latestBackup } from '../../../control/operations.js';
import { rpoChart } from '../charts.js';
import { readMonitor, readReports, type DashboardConfig } from '../fleet.js';
import { duration } from '../../../control/format.js';
import { when } from '../format.js';
import { html, type Html } from '../html.js';
import { statusBadge } from './badges.js';

export async function sourcesPage(client: Client, config: DashboardConfig, now: Date): Promise<Html> {
  const sources = Object.entries(config.sources ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (sources.length === 0) return html`<p class="muted">meridian.yaml defines no sources.</p>`;
  const monitor = await readMonitor(client);
  const [reports, backups] = await Promise.all([
    readReports(client, monitor.view, now),
    Promise.all(sources.map(([, entry]) => latestBackup(client, entry.path, entry.repository).catch(() => undefined))),
  ]);
  const rows = sources.map(([name, entry], i) => {
    const slas = (monitor.view?.slas ?? []).filter((sla) => sla.sources.some((s) => s.source === name));
    const target = slas.length > 0 ? Math.min(...slas.map((sla) => sla.rpoTargetSeconds)) : undefined;
    const observed = monitor.view?.sources.find((s) => s.source === name);
    const rpo = slas.flatMap((sla) => sla.sources).find((s) => s.source === name)?.rpoSeconds;
    const history = slas.map((sla) => reports.get(sla.name)?.rpoHistory[name]).find((points) => points !== undefined) ?? [];
    const backup = backups[i];
    const verdict = target === undefined ? html`<span class="muted">no SLA</span>` : rpo === undefined ? html`<span class="bad">no good snapshot</span>` : rpo > target ? html`<span class="bad">over target</span>` : html`<span class="ok">within target</span>`;
    return html`<tr data-source="${name}"><td><b>${name}</b><br><code>${entry.path}</code></td><td>${entry.repository}</td>
<td>${backup ? html`${statusBadge(backup.status)} ${when(backup.closedAt ?? backup.startedAt, now)}<br><code class="muted">${backup.workflowId}</code>` : html`<span class="muted">none seen</span>`}</td>
<td>${when(observed?.lastGoodSnapshotAt, now)}${observed ? html`<br><span class="muted">${observed.snapshotCount} snapshots</span>` : ''}</td>
<td>${duration(rpo)} / ${duration(target)}<br>${verdict}</td><td>${rpoChart(history, target, `RPO of ${name}, last 24 h`)}</td></tr>`;
  });
  return html`${monitor.note ? html`<p class="warn">${monitor.note}</p>` : ''}
<table><thead><tr><th>Source</th><th>Repository</th><th>Last backup</th><th>Newest good snapshot</th><th>RPO / target</th><th>RPO, last 24 h</th></tr></thead><tbody>${rows}</tbody></table>
${monitor.view?.evaluatedAt ? html`<p class="muted">SLA monitor evaluated ${when(monitor.view.evaluatedAt, now)} (every ${duration(monitor.view.intervalSeconds)}).</p>` : ''}`;
}
