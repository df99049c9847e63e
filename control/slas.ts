// Reading the SLA monitor (`sla-monitor`), shared by `meridian sla`, the HTTP API and the dashboard:
// every SLA's status by the slaStatus query, one SLA's report (its violations since a time) by the
// slaReport query. Both answer from the monitor's state; nothing here lists storage. not-found when
// the monitor does not run (meridian apply starts it) or has no SLA of that name; unanswered when
// no worker answers the query. Through WorkflowCalls, so the CLI reads them without the SDK.

import { RepositoryError } from '../core/errors.js';
import { DurationMs } from '../config/duration.js';
import {
  SLA_MONITOR_WORKFLOW_ID,
  slaReportQuery,
  slaStatusQuery,
  type SlaMonitorView,
  type SlaReport,
  type SlaStatus,
} from '../workflows/slaDefs.js';
import { ControlError } from './errors.js';
import { askState, isRunning, type WorkflowCalls } from './workflowCalls.js';

/** A report without `since` covers the compliance kept: 30 days. */
const DEFAULT_REPORT_SPAN_MS = 30 * 86_400_000;

export type { SlaMonitorView, SlaReport, SlaStatus };

/** Every SLA, source and repository as the monitor's last evaluation saw them. */
export async function slaView(calls: WorkflowCalls): Promise<SlaMonitorView> {
  await assertMonitorRuns(calls);
  return askState<SlaMonitorView>(calls, SLA_MONITOR_WORKFLOW_ID, slaStatusQuery);
}

/** One SLA's status; not-found when the monitor has none of that name. */
export async function slaStatus(calls: WorkflowCalls, name: string): Promise<SlaStatus> {
  const view = await slaView(calls);
  const status = view.slas.find((sla) => sla.name === name);
  if (!status) throw unknownSla(name, view);
  return status;
}

/**
 * One SLA's report: its status and the violations since `since` (an ISO time, or a duration ago
 * such as `7d`; default 30 days ago). not-found when the monitor has no SLA of that name.
 */
export async function slaReport(calls: WorkflowCalls, name: string, since?: string, now = new Date()): Promise<SlaReport> {
  const sinceIso = resolveSince(since, now);
  await assertMonitorRuns(calls);
  const report = await askState<SlaReport | undefined>(calls, SLA_MONITOR_WORKFLOW_ID, slaReportQuery, { sla: name, since: sinceIso });
  if (report) return report;
  throw unknownSla(name, await askState<SlaMonitorView>(calls, SLA_MONITOR_WORKFLOW_ID, slaStatusQuery));
}

/** `since` as an ISO time: an ISO time or date as given, or a duration (`90m`, `24h`, `7d`) before now. */
export function resolveSince(since: string | undefined, now: Date): string {
  if (since === undefined || since === '') return new Date(now.getTime() - DEFAULT_REPORT_SPAN_MS).toISOString();
  const duration = DurationMs.safeParse(since);
  if (duration.success) return new Date(now.getTime() - duration.data).toISOString();
  const time = /^\d{4}-\d{2}-\d{2}/.test(since) ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(time)) throw new RepositoryError('invalid-argument', `--since "${since}" is neither an ISO time (2026-11-30T12:00:00Z) nor a duration ago (24h, 7d)`);
  return new Date(time).toISOString();
}

function unknownSla(name: string, view: SlaMonitorView): ControlError {
  const known = view.slas.map((sla) => sla.name);
  const listed = known.length === 0 ? 'it monitors none' : `it monitors ${known.join(', ')}`;
  return new ControlError('not-found', `no SLA named "${name}" in ${SLA_MONITOR_WORKFLOW_ID} (${listed})`);
}

async function assertMonitorRuns(calls: WorkflowCalls): Promise<void> {
  if (await isRunning(calls, SLA_MONITOR_WORKFLOW_ID)) return;
  throw new ControlError('not-found', `no SLA monitor (${SLA_MONITOR_WORKFLOW_ID}) is running: meridian apply starts it when meridian.yaml has slas`);
}
