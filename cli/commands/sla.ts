// `meridian sla status|report [NAME] [--since T] [--json] [--markdown]`: the SLAs as the SLA
// monitor (`sla-monitor`, started by `meridian apply`) evaluated them last, read by its queries
// through control/slas.ts. status: every SLA (or NAME) with its RPO and RTO against the targets,
// compliance per window and open violations; report: one SLA (or every one) with the violations
// since T (an ISO time or a duration ago, default 30d). No monitor, or no SLA of that name: exit 3.

import { duration, percent } from '../../control/format.js';
import { slaReportMarkdown, slaReportsMarkdown, violationSeconds } from '../../control/slaMarkdown.js';
import { resolveSince, slaReport, slaStatus, slaView } from '../../control/slas.js';
import type { WorkflowCalls } from '../../control/workflowCalls.js';
import { COMPLIANCE_WINDOWS, type ComplianceWindow, type SlaReport, type SlaStatus, type SlaViolation } from '../../workflows/slaDefs.js';
import { expectPositionals, parseCommand } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { formatTable, formatTime, printJson } from '../output.js';
import { withWorkflowCalls } from '../workflowCalls.js';

const ACTIONS = ['status', 'report'] as const;
const WINDOWS = Object.keys(COMPLIANCE_WINDOWS) as ComplianceWindow[];

export async function run(args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseCommand('sla', args);
  const [action, name] = expectPositionals('sla', positionals, [ACTIONS.join('|'), 'NAME'], 1);
  if (action !== 'status' && action !== 'report') throw usageError(`unknown sla action '${action}'; expected ${ACTIONS.join(', ')}`);
  if (values.json && values.markdown) throw usageError('--json and --markdown exclude each other');
  if (action === 'status' && values.since !== undefined) throw usageError('--since goes with sla report only');
  if (action === 'status' && values.markdown) throw usageError('--markdown goes with sla report only');
  const now = new Date();
  if (action === 'report') resolveSince(values.since, now); // a malformed --since is a usage mistake found before Temporal is asked
  const output = await withWorkflowCalls((calls) => (action === 'status' ? status(calls, name, now) : report(calls, name, values.since, now, values.markdown === true)));
  if (values.json) printJson(output.json);
  else process.stdout.write(output.text);
  return EXIT.ok;
}

async function status(calls: WorkflowCalls, name: string | undefined, now: Date): Promise<{ json: unknown; text: string }> {
  if (name !== undefined) {
    const one = await slaStatus(calls, name);
    return { json: one, text: lines(statusLines(one, now)) };
  }
  const view = await slaView(calls);
  return { json: view, text: lines(overviewLines(view.slas, view.evaluatedAt, view.lastError)) };
}

async function report(calls: WorkflowCalls, name: string | undefined, since: string | undefined, now: Date, markdown: boolean): Promise<{ json: unknown; text: string }> {
  const names = name !== undefined ? [name] : (await slaView(calls)).slas.map((sla) => sla.name);
  const reports: SlaReport[] = [];
  for (const each of names) reports.push(await slaReport(calls, each, since, now));
  if (markdown) return { json: undefined, text: name !== undefined ? slaReportMarkdown(reports[0]!, now) : slaReportsMarkdown(reports, now) };
  const text = reports.map((r) => lines([...statusLines(r.status, now), `  violations since ${formatTime(r.since)}:`, ...violationLines(r.violations, now).map((line) => `    ${line}`)])).join('\n');
  return { json: name !== undefined ? reports[0] : { reports }, text: text || lines(['no SLAs are monitored']) };
}

/** One row per SLA: compliant or not, RPO and RTO against the targets, compliance per window. */
export function overviewLines(slas: readonly SlaStatus[], evaluatedAt: string | undefined, lastError: string | undefined): string[] {
  const heading = [`evaluated ${evaluatedAt ? formatTime(evaluatedAt) : 'never'}${lastError ? `; the last observation failed: ${lastError}` : ''}`];
  if (slas.length === 0) return [...heading, 'no SLAs are monitored'];
  const rows = slas.map((s) => [s.name, verdict(s), `${rpoText(s)} / ${duration(s.rpoTargetSeconds)}`, `${rtoText(s)} / ${duration(s.rtoTargetSeconds)}`, ...WINDOWS.map((w) => percent(s.compliance[w], 2)), String(s.openViolations.length)]);
  return [...heading, ...formatTable(['SLA', 'STATUS', 'RPO / TARGET', 'RTO / TARGET', ...WINDOWS.map((w) => w.toUpperCase()), 'OPEN'], rows)];
}

/** One SLA: the objectives, compliance, each source's RPO and the open violations. */
export function statusLines(s: SlaStatus, now: Date): string[] {
  return [
    `${s.name}: ${verdict(s)}`,
    `  RPO ${rpoText(s)} (target ${duration(s.rpoTargetSeconds)}); RTO ${rtoText(s)}${s.rtoMeasuredAt ? ` measured ${formatTime(s.rtoMeasuredAt)}` : ''} (target ${duration(s.rtoTargetSeconds)})`,
    `  compliance: ${WINDOWS.map((w) => `${w} ${percent(s.compliance[w], 2)}`).join(', ')}`,
    ...formatTable(['SOURCE', 'RPO', 'NEWEST GOOD SNAPSHOT'], s.sources.map((src) => [src.source, src.rpoSeconds === undefined ? 'none' : duration(src.rpoSeconds), src.lastGoodSnapshotAt ? formatTime(src.lastGoodSnapshotAt) : 'none'])).map((line) => `  ${line}`),
    ...(s.openViolations.length > 0 ? ['  open violations:', ...violationLines(s.openViolations, now).map((line) => `    ${line}`)] : []),
  ];
}

function violationLines(violations: readonly SlaViolation[], now: Date): string[] {
  if (violations.length === 0) return ['none'];
  return formatTable(
    ['ID', 'KIND', 'SUBJECT', 'START', 'END', 'LASTED', 'OBSERVED / TARGET'],
    violations.map((v) => [
      v.id,
      v.kind,
      v.subject,
      formatTime(v.start),
      v.end ? formatTime(v.end) : 'open',
      duration(violationSeconds(v, now)),
      `${v.observedSeconds < 0 ? 'never' : duration(v.observedSeconds)} / ${duration(v.targetSeconds)}`,
    ]),
  );
}

function verdict(s: SlaStatus): string {
  return !s.enabled ? 'disabled' : s.compliant ? 'compliant' : 'NOT COMPLIANT';
}

const rpoText = (s: SlaStatus) => (s.rpoSeconds === undefined ? 'none' : duration(s.rpoSeconds));
const rtoText = (s: SlaStatus) => (s.rtoSeconds === undefined ? 'untested' : duration(s.rtoSeconds));
const lines = (all: string[]) => all.map((line) => `${line}\n`).join('');
