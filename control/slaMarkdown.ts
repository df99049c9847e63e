// An SLA report rendered as Markdown (`meridian sla report --markdown`, GET
// /v1/slas/:name/report?format=markdown): something to paste into a ticket or a monthly review.
// The objectives against what was measured, compliance per window, each source's RPO and the
// violations of the period. Times in UTC, so a report reads the same wherever it is opened.

import { COMPLIANCE_WINDOWS, type ComplianceWindow, type SlaReport, type SlaStatus, type SlaViolation, type ViolationKind } from '../workflows/slaDefs.js';
import { duration, percent } from './format.js';

/** One report as a Markdown document; `now` ends the period and the open violations. */
export function slaReportMarkdown(report: SlaReport, now: Date): string {
  const { status } = report;
  const lines = [
    `# SLA report: ${status.name}`,
    '',
    `Period: ${utc(report.since)} to ${utc(now.toISOString())}`,
    '',
    `Status: **${verdict(status)}**`,
    '',
    '## Objectives',
    '',
    ...table(
      ['Objective', 'Target', 'Measured', 'Met'],
      [
        ['RPO', duration(status.rpoTargetSeconds), status.rpoSeconds === undefined ? 'no good snapshot' : duration(status.rpoSeconds), met(status, 'rpo')],
        ['RTO', duration(status.rtoTargetSeconds), status.rtoSeconds === undefined ? 'untested' : `${duration(status.rtoSeconds)}${status.rtoMeasuredAt ? ` (${utc(status.rtoMeasuredAt)})` : ''}`, met(status, 'rto')],
      ],
    ),
    '',
    '## Compliance',
    '',
    `Rolling windows ending ${utc(now.toISOString())}: the share of evaluations with no open violation.`,
    '',
    ...table(
      ['Rolling window', 'Compliant samples'],
      (Object.keys(COMPLIANCE_WINDOWS) as ComplianceWindow[]).map((window) => [window, percent(status.compliance[window], 2)]),
    ),
    '',
    '## Sources',
    '',
    ...(status.sources.length === 0
      ? ['None.']
      : table(
          ['Source', 'RPO', 'Newest good snapshot'],
          status.sources.map((s) => [s.source, s.rpoSeconds === undefined ? 'none' : duration(s.rpoSeconds), s.lastGoodSnapshotAt ? utc(s.lastGoodSnapshotAt) : 'none']),
        )),
    '',
    `## Violations since ${utc(report.since)}`,
    '',
    ...violationsTable(report.violations, now),
  ];
  return `${lines.join('\n')}\n`;
}

/** Several reports as one document (`meridian sla report --markdown` without a name). */
export function slaReportsMarkdown(reports: readonly SlaReport[], now: Date): string {
  if (reports.length === 0) return '# SLA report\n\nNo SLAs are monitored.\n';
  return reports.map((report) => slaReportMarkdown(report, now)).join('\n');
}

function violationsTable(violations: readonly SlaViolation[], now: Date): string[] {
  if (violations.length === 0) return ['None.'];
  return table(
    ['Kind', 'Subject', 'Started', 'Ended', 'Lasted', 'Observed', 'Target'],
    violations.map((v) => [
      v.kind,
      v.subject,
      utc(v.start),
      v.end ? utc(v.end) : 'open',
      duration(violationSeconds(v, now)),
      v.observedSeconds < 0 ? 'never' : duration(v.observedSeconds),
      duration(v.targetSeconds),
    ]),
  );
}

/** How long a violation lasted, or has lasted so far when open. */
export function violationSeconds(v: SlaViolation, now: Date): number {
  return Math.max(0, ((v.end ? Date.parse(v.end) : now.getTime()) - Date.parse(v.start)) / 1000);
}

function verdict(status: SlaStatus): string {
  if (!status.enabled) return 'disabled';
  return status.compliant ? 'compliant' : `not compliant (${status.openViolations.length} open violation${status.openViolations.length === 1 ? '' : 's'})`;
}

/** An objective is met when its measure is within target and none of its violations is open (an rto-untested one too). */
function met(status: SlaStatus, objective: 'rpo' | 'rto'): string {
  const [observed, target] = objective === 'rpo' ? [status.rpoSeconds, status.rpoTargetSeconds] : [status.rtoSeconds, status.rtoTargetSeconds];
  const open = status.openViolations.some((v) => objectiveOf(v.kind) === objective);
  return observed !== undefined && observed <= target && !open ? 'yes' : 'no';
}

/** rto and rto-untested are about the RTO; every other kind is about the RPO. */
function objectiveOf(kind: ViolationKind): 'rpo' | 'rto' {
  return kind.startsWith('rto') ? 'rto' : 'rpo';
}

function table(headers: string[], rows: string[][]): string[] {
  const row = (cells: string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [row(headers), row(headers.map(() => '---')), ...rows.map(row)];
}

/** 2026-11-30 15:04 UTC. */
function utc(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
