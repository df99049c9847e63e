// The SLA monitor's rules, pure and deterministic (the workflow passes its own clock): an
// observation of the fleet taken in (a repository that could not be read keeps its sources' previous
// observation), every enabled SLA evaluated against it (per source: observed recently, RPO, RTO and
// when it was last tested), violations opened on the first failing evaluation and closed on the
// first passing one or when no longer checked, one compliance sample per SLA per evaluation in
// hourly buckets kept 30 days, which events are still undelivered, and the views the queries answer
// (status, report). No I/O, no Temporal calls: test/unit/slaLogic.test.ts drives it.

import { DEFAULT_SEVERITY, type MeridianEvent } from './eventDefs.js';
import {
  COMPLIANCE_WINDOWS,
  ComplianceBucket,
  ComplianceWindow,
  RepositoryObservation,
  SlaDefinition,
  SlaMonitorInput,
  SlaMonitorState,
  SlaMonitorView,
  SlaRecord,
  SlaReport,
  SlaStatus,
  SlaViolation,
  SourceObservation,
  ViolationKind,
} from './slaDefs.js';

const HOUR_MS = 3_600_000;
/** Buckets older than the longest window are dropped. */
const BUCKET_HOURS = COMPLIANCE_WINDOWS['30d'];
/** Closed violations kept per SLA (open ones are always kept). */
export const CLOSED_VIOLATIONS_KEPT = 50;
/** RPO points kept per source for the small chart. */
export const RPO_HISTORY_POINTS = 120;

/** What one observeFleet activity found. */
export interface FleetObservation {
  sources: SourceObservation[];
  repositories: RepositoryObservation[];
  /** Repositories that could not be read, with why: their sources are not in `sources`. */
  failedRepositories?: Record<string, string>;
}

/** A violation that opened or closed in an evaluation: one event each. */
export interface ViolationChange {
  phase: 'started' | 'resolved';
  violation: SlaViolation;
}

export function initialSlaState(): SlaMonitorState {
  return { slas: {}, sources: {}, repositories: {}, nextViolation: 1, evaluations: 0 };
}

/**
 * Takes an observation in at `now`: it replaces the previous one, except that the sources and
 * repository of a repository that could not be read keep their previous observation (and its
 * observedAt), and a source keeps a recovery newer than the one observed now; lastError names
 * the repositories that could not be read, or is cleared.
 */
export function recordObservation(state: SlaMonitorState, observed: FleetObservation, now = new Date()): void {
  const failed = observed.failedRepositories ?? {};
  const observedAt = now.toISOString();
  const keptSources = Object.values(state.sources).filter((s) => Object.hasOwn(failed, s.repository));
  const keptRepositories = Object.values(state.repositories).filter((r) => Object.hasOwn(failed, r.repository));
  const taken = observed.sources.map((s) => ({ ...s, observedAt, ...keptRecovery(state.sources[s.source], s) }));
  state.sources = Object.fromEntries([...keptSources, ...taken].map((s) => [s.source, s]));
  state.repositories = Object.fromEntries([...keptRepositories, ...observed.repositories].map((r) => [r.repository, r]));
  const errors = Object.entries(failed).map(([repository, why]) => `repository ${repository}: ${why}`);
  if (errors.length > 0) state.lastError = errors.join('; ');
  else delete state.lastError;
}

/**
 * A recovery once attributed to a source stays its latest until a newer one is: the observation
 * attributes a restore through the snapshot it read, which retention may forget later.
 */
function keptRecovery(previous: SourceObservation | undefined, next: SourceObservation): Pick<SourceObservation, 'lastRecovery'> {
  const kept = previous?.lastRecovery;
  return kept && (next.lastRecovery === undefined || kept.at > next.lastRecovery.at) ? { lastRecovery: kept } : {};
}

/** The RPO of a source now, in whole seconds; undefined when it has no good snapshot (or was never observed). */
export function sourceRpoSeconds(observation: SourceObservation | undefined, now: Date): number | undefined {
  if (observation?.lastGoodSnapshotAt === undefined) return undefined;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(observation.lastGoodSnapshotAt)) / 1000));
}

/** The SLA's RTO: the slowest of its sources' latest measured recoveries. */
export function slowestRecovery(state: SlaMonitorState, sla: SlaDefinition): SourceObservation['lastRecovery'] {
  let slowest: SourceObservation['lastRecovery'];
  for (const source of sla.sources) {
    const recovery = state.sources[source]?.lastRecovery;
    if (recovery && (!slowest || recovery.seconds > slowest.seconds)) slowest = recovery;
  }
  return slowest;
}

/** A check of one evaluation: failing (with what was observed) or passing. */
interface Check {
  kind: ViolationKind;
  subject: string;
  failing: boolean;
  observedSeconds: number;
  targetSeconds: number;
}

/** The kinds judged from a source's observation: while it is unobserved they are held (neither opened nor closed). */
const OBSERVED_KINDS: readonly ViolationKind[] = ['rpo', 'rto-untested', 'rto'];

const keyOf = (kind: ViolationKind, subject: string) => `${kind}\n${subject}`;

/**
 * The checks of an SLA now, per source: observed (an observation at all, and when `staleAfterSeconds`
 * is given, one taken within it), then, only when observed, its RPO, whether its RTO was tested
 * within rtoTestedWithin, and whether its latest drill was within the RTO target (whatever its age:
 * a slow drill stays the verdict until a faster one). `held`: the checks an unobserved source skips.
 */
function checksOf(state: SlaMonitorState, sla: SlaDefinition, now: Date, staleAfterSeconds: number | undefined): { checks: Check[]; held: Set<string> } {
  const checks: Check[] = [];
  const held = new Set<string>();
  const secondsSince = (time: string) => Math.floor((now.getTime() - Date.parse(time)) / 1000);
  for (const source of sla.sources) {
    const observation = Object.hasOwn(state.sources, source) ? state.sources[source] : undefined;
    const age = observation?.observedAt !== undefined ? secondsSince(observation.observedAt) : -1;
    const unobserved = observation === undefined || (staleAfterSeconds !== undefined && age > staleAfterSeconds);
    checks.push({ kind: 'unobserved', subject: source, failing: unobserved, observedSeconds: observation ? age : -1, targetSeconds: staleAfterSeconds ?? -1 });
    if (unobserved) {
      for (const kind of OBSERVED_KINDS) held.add(keyOf(kind, source));
      continue;
    }
    const rpo = sourceRpoSeconds(observation, now);
    checks.push({ kind: 'rpo', subject: source, failing: rpo === undefined || rpo > sla.rpoSeconds, observedSeconds: rpo ?? -1, targetSeconds: sla.rpoSeconds });
    const recovery = observation.lastRecovery;
    const sinceTest = recovery ? secondsSince(recovery.at) : -1;
    checks.push({ kind: 'rto-untested', subject: source, failing: recovery === undefined || sinceTest > sla.rtoTestedWithinSeconds, observedSeconds: sinceTest, targetSeconds: sla.rtoTestedWithinSeconds });
    checks.push({ kind: 'rto', subject: source, failing: recovery !== undefined && recovery.seconds > sla.rtoSeconds, observedSeconds: recovery?.seconds ?? -1, targetSeconds: sla.rtoSeconds });
  }
  return { checks, held };
}

/** Closes every open violation of `record` that was neither checked nor held at this evaluation (all of them with empty sets). */
function closeUnchecked(record: SlaRecord, checked: ReadonlySet<string>, held: ReadonlySet<string>, at: string, changes: ViolationChange[]): void {
  for (const violation of record.violations) {
    const key = keyOf(violation.kind, violation.subject);
    if (violation.end !== undefined || checked.has(key) || held.has(key)) continue;
    violation.end = at;
    changes.push({ phase: 'resolved', violation: { ...violation } });
  }
}

/** Whether every event of a violation that is due was delivered. */
function delivered(v: SlaViolation): boolean {
  return v.notified?.started === true && (v.end === undefined || v.notified.resolved === true);
}

function recordOf(state: SlaMonitorState, name: string): SlaRecord {
  const existing = state.slas[name];
  if (existing) return existing;
  const created: SlaRecord = { buckets: [], violations: [], rpoHistory: {} };
  state.slas[name] = created;
  return created;
}

/**
 * Evaluates every enabled SLA at `now`: opens and closes violations, adds one compliance sample
 * each, and returns the violations that started or ended. A violation no longer checked (SLA
 * disabled or removed, source removed from it) is closed. An SLA no longer defined loses its record
 * once its events are delivered. A source whose observation is older than `staleAfterSeconds` (when
 * given) is unobserved.
 */
export function evaluateSlas(state: SlaMonitorState, slas: readonly SlaDefinition[], now: Date, staleAfterSeconds?: number): ViolationChange[] {
  const changes: ViolationChange[] = [];
  const at = now.toISOString();
  for (const [name, record] of Object.entries(state.slas)) {
    if (slas.some((s) => s.name === name)) continue;
    closeUnchecked(record, new Set(), new Set(), at, changes);
    if (record.violations.every(delivered)) delete state.slas[name];
  }
  for (const sla of slas) {
    const record = recordOf(state, sla.name);
    if (!sla.enabled) {
      closeUnchecked(record, new Set(), new Set(), at, changes);
      continue;
    }
    const { checks, held } = checksOf(state, sla, now, staleAfterSeconds);
    closeUnchecked(record, new Set(checks.map((c) => keyOf(c.kind, c.subject))), held, at, changes);
    for (const check of checks) {
      const open = record.violations.find((v) => v.end === undefined && v.kind === check.kind && v.subject === check.subject);
      if (open && check.failing) {
        open.observedSeconds = worse(open.observedSeconds, check.observedSeconds);
        open.targetSeconds = check.targetSeconds;
      } else if (open) {
        open.end = at;
        changes.push({ phase: 'resolved', violation: { ...open } });
      } else if (check.failing) {
        const violation: SlaViolation = { id: `${sla.name}-${state.token !== undefined ? `${state.token}-` : ''}${state.nextViolation++}`, sla: sla.name, kind: check.kind, subject: check.subject, start: at, observedSeconds: check.observedSeconds, targetSeconds: check.targetSeconds };
        record.violations.push(violation);
        changes.push({ phase: 'started', violation: { ...violation } });
      }
    }
    addSample(record, now, !record.violations.some((v) => v.end === undefined));
    recordRpo(state, record, sla, now);
    trimViolations(record);
  }
  state.evaluations += 1;
  state.lastEvaluatedAt = at;
  return changes;
}

/** -1 (never) is the worst; else the larger. */
function worse(a: number, b: number): number {
  return a === -1 || b === -1 ? -1 : Math.max(a, b);
}

function addSample(record: SlaRecord, now: Date, compliant: boolean): void {
  const hour = Math.floor(now.getTime() / HOUR_MS);
  let bucket = record.buckets[record.buckets.length - 1];
  if (bucket?.hour !== hour) {
    bucket = { hour, samples: 0, compliant: 0 };
    record.buckets.push(bucket);
  }
  bucket.samples += 1;
  if (compliant) bucket.compliant += 1;
  record.buckets = record.buckets.filter((b) => b.hour > hour - BUCKET_HOURS);
}

function recordRpo(state: SlaMonitorState, record: SlaRecord, sla: SlaDefinition, now: Date): void {
  for (const source of sla.sources) {
    const rpo = sourceRpoSeconds(state.sources[source], now);
    if (rpo === undefined) continue;
    const points = (record.rpoHistory[source] ??= []);
    points.push([Math.floor(now.getTime() / 1000), rpo]);
    if (points.length > RPO_HISTORY_POINTS) points.splice(0, points.length - RPO_HISTORY_POINTS);
  }
  for (const source of Object.keys(record.rpoHistory)) if (!sla.sources.includes(source)) delete record.rpoHistory[source];
}

/** Keeps the open violations, the newest closed ones, and older closed ones still undelivered up to as many again. */
function trimViolations(record: SlaRecord): void {
  const closed = record.violations.filter((v) => v.end !== undefined);
  const kept = new Set(closed.slice(-CLOSED_VIOLATIONS_KEPT));
  for (const v of closed.slice(0, Math.max(0, closed.length - CLOSED_VIOLATIONS_KEPT)).reverse()) {
    if (!delivered(v) && kept.size < 2 * CLOSED_VIOLATIONS_KEPT) kept.add(v);
  }
  record.violations = record.violations.filter((v) => v.end === undefined || kept.has(v));
}

/** The events not delivered yet, oldest violation first: its start, then (once the start is delivered) its end. */
export function undeliveredChanges(state: SlaMonitorState): ViolationChange[] {
  const changes: ViolationChange[] = [];
  for (const record of Object.values(state.slas)) {
    for (const violation of record.violations) {
      if (violation.notified?.started !== true) changes.push({ phase: 'started', violation: { ...violation } });
      else if (violation.end !== undefined && violation.notified.resolved !== true) changes.push({ phase: 'resolved', violation: { ...violation } });
    }
  }
  return changes;
}

/** Records that the event of `change` was delivered. */
export function markNotified(state: SlaMonitorState, change: ViolationChange): void {
  const violation = state.slas[change.violation.sla]?.violations.find((v) => v.id === change.violation.id);
  if (violation) violation.notified = { ...violation.notified, [change.phase]: true };
}

/** Share of samples in compliance over the `window` hours ending with the hour of `now`; null without samples. */
export function complianceRatio(buckets: readonly ComplianceBucket[], window: ComplianceWindow, now: Date): number | null {
  const hour = Math.floor(now.getTime() / HOUR_MS);
  let samples = 0;
  let compliant = 0;
  for (const bucket of buckets) {
    if (bucket.hour <= hour - COMPLIANCE_WINDOWS[window] || bucket.hour > hour) continue;
    samples += bucket.samples;
    compliant += bucket.compliant;
  }
  return samples === 0 ? null : compliant / samples;
}

export function slaStatus(state: SlaMonitorState, sla: SlaDefinition, now: Date): SlaStatus {
  const record = state.slas[sla.name] ?? { buckets: [], violations: [], rpoHistory: {} };
  const sources = sla.sources.map((source) => {
    const observation = state.sources[source];
    const rpoSeconds = sourceRpoSeconds(observation, now);
    return { source, ...(rpoSeconds !== undefined ? { rpoSeconds } : {}), ...(observation?.lastGoodSnapshotAt ? { lastGoodSnapshotAt: observation.lastGoodSnapshotAt } : {}) };
  });
  const rpos = sources.map((s) => s.rpoSeconds);
  const rpoSeconds = rpos.length > 0 && rpos.every((r) => r !== undefined) ? Math.max(...(rpos as number[])) : undefined;
  const recovery = slowestRecovery(state, sla);
  const openViolations = record.violations.filter((v) => v.end === undefined);
  const compliance = Object.fromEntries(Object.keys(COMPLIANCE_WINDOWS).map((w) => [w, complianceRatio(record.buckets, w as ComplianceWindow, now)])) as SlaStatus['compliance'];
  return {
    name: sla.name,
    enabled: sla.enabled,
    compliant: openViolations.length === 0,
    rpoTargetSeconds: sla.rpoSeconds,
    rtoTargetSeconds: sla.rtoSeconds,
    ...(rpoSeconds !== undefined ? { rpoSeconds } : {}),
    ...(recovery ? { rtoSeconds: recovery.seconds, rtoMeasuredAt: recovery.at } : {}),
    sources,
    compliance,
    openViolations,
  };
}

export function slaView(state: SlaMonitorState, input: Omit<SlaMonitorInput, 'carried'>, now: Date): SlaMonitorView {
  return {
    ...(state.lastEvaluatedAt ? { evaluatedAt: state.lastEvaluatedAt } : {}),
    evaluations: state.evaluations,
    intervalSeconds: input.intervalSeconds,
    ...(state.lastError !== undefined ? { lastError: state.lastError } : {}),
    slas: input.slas.map((sla) => slaStatus(state, sla, now)),
    sources: Object.values(state.sources),
    repositories: Object.values(state.repositories),
  };
}

/** An SLA's status and its violations that were open at or after `since` (default 30 days back); undefined for an unknown SLA. */
export function slaReport(state: SlaMonitorState, slas: readonly SlaDefinition[], name: string, since: string | undefined, now: Date): SlaReport | undefined {
  const sla = slas.find((s) => s.name === name);
  if (!sla) return undefined;
  const from = since ?? new Date(now.getTime() - BUCKET_HOURS * HOUR_MS).toISOString();
  const fromMs = Date.parse(from);
  const record = state.slas[name];
  const violations = (record?.violations ?? []).filter((v) => v.end === undefined || Date.parse(v.end) >= fromMs);
  const rpoHistory = Object.fromEntries(Object.entries(record?.rpoHistory ?? {}).map(([source, points]) => [source, points.filter(([t]) => t * 1000 >= fromMs)]));
  return { status: slaStatus(state, sla, now), since: from, violations, rpoHistory };
}

/** `2h5m`, `40s`, `never` (-1): for one-line summaries. */
export function secondsText(seconds: number): string {
  if (seconds < 0) return 'never';
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts: string[] = [];
  let left = Math.round(seconds);
  for (const [unit, size] of units) {
    if (left >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join('');
}

/** One line saying what a violation is. */
export function violationSummary(v: SlaViolation, phase: ViolationChange['phase']): string {
  const never = v.observedSeconds < 0;
  const what = {
    rpo: never ? `source ${v.subject} has no good snapshot` : `RPO of source ${v.subject} is ${secondsText(v.observedSeconds)}, over the ${secondsText(v.targetSeconds)} target`,
    rto: `RTO of source ${v.subject} is ${secondsText(v.observedSeconds)}, over the ${secondsText(v.targetSeconds)} target`,
    'rto-untested': never ? `RTO of source ${v.subject} never tested` : `RTO of source ${v.subject} last tested ${secondsText(v.observedSeconds)} ago, more than ${secondsText(v.targetSeconds)}`,
    unobserved: never ? `source ${v.subject} not observed` : `source ${v.subject} last observed ${secondsText(v.observedSeconds)} ago`,
  }[v.kind];
  return phase === 'started' ? `SLA ${v.sla} violated: ${what}` : `SLA ${v.sla} violation resolved (${v.kind} of ${v.subject}; worst: ${what})`;
}

/** A one-line summary of the monitor for Temporal UI. */
export function monitorSummary(state: SlaMonitorState, slas: readonly SlaDefinition[]): string {
  const open = Object.values(state.slas).reduce((n, r) => n + r.violations.filter((v) => v.end === undefined).length, 0);
  return `SLA monitor: ${slas.length} SLA${slas.length === 1 ? '' : 's'}, ${open} open violation${open === 1 ? '' : 's'}, ${state.evaluations} evaluations${state.lastError ? `; last observation failed: ${state.lastError}` : ''}`;
}

/** The event of a violation's start or end: its id derives from the violation, so it is sent once. */
export function violationEvent(change: ViolationChange): Omit<MeridianEvent, 'workflowId'> {
  const { violation: v, phase } = change;
  const kind = phase === 'started' ? 'sla-violation-started' : 'sla-violation-resolved';
  return {
    id: `sla:${v.id}:${phase}`,
    kind,
    severity: DEFAULT_SEVERITY[kind],
    time: phase === 'started' ? v.start : (v.end ?? v.start),
    subject: v.sla,
    summary: violationSummary(v, phase),
    details: { sla: v.sla, violation: v.id, kind: v.kind, subject: v.subject, observedSeconds: v.observedSeconds, targetSeconds: v.targetSeconds },
  };
}
