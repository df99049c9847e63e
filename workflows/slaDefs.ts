// The names and shapes of SLA monitoring shared by the SLA monitor workflow, its activities,
// `meridian apply`, `meridian sla`, the API, /metrics and the dashboard: one long-running monitor
// (`sla-monitor`) that every interval observes each configured source and repository (newest good
// snapshot, counts, sizes, latest measured recovery), evaluates every SLA, keeps violations and
// hourly compliance buckets, and raises an event once when a violation starts and once when it
// ends. Names only in its input: the worker resolves them in its meridian.yaml.

import { defineQuery, defineSignal } from '@temporalio/workflow';

export const SLA_MONITOR_WORKFLOW_ID = 'sla-monitor';

/** An SLA as the monitor evaluates it (from meridian.yaml, resolved by `meridian apply`). */
export interface SlaDefinition {
  name: string;
  enabled: boolean;
  /** Source names of meridian.yaml (an entry's `repositories` resolved to their sources). */
  sources: string[];
  rpoSeconds: number;
  rtoSeconds: number;
  /** An RTO measured longer ago than this is untested. */
  rtoTestedWithinSeconds: number;
  notify?: string[];
  runbooks?: string[];
}

export interface SlaMonitorInput {
  slas: SlaDefinition[];
  /** Every source and repository of meridian.yaml, observed for metrics even without an SLA. */
  sources: string[];
  repositories: string[];
  intervalSeconds: number;
  /** The state carried over continue-as-new. */
  carried?: SlaMonitorState;
}

/** One source as the last evaluation saw it. */
export interface SourceObservation {
  source: string;
  repository: string;
  /** The newest snapshot of the source that completed and, where verified, passed. */
  lastGoodSnapshotAt?: string;
  snapshotCount: number;
  /** Bytes added to the repository by the newest snapshot. */
  lastBytesAdded?: number;
  /** The latest measured recovery of this source: a restore or a recovery runbook execution. */
  lastRecovery?: { kind: 'restore' | 'runbook'; at: string; seconds: number; workflowId: string };
  /** When the monitor last took an observation of this source in (its clock); older than 3 intervals is unobserved. */
  observedAt?: string;
}

export interface RepositoryObservation {
  repository: string;
  snapshotCount: number;
  /** Sum of the pack files' sizes. */
  sizeBytes: number;
  /** Ransomware alerts not acknowledged (core/ransomwareAlerts.ts); absent in observations made before they were counted. */
  openRansomwareAlerts?: number;
}

/** unobserved: a source of the SLA has no observation, or none within 3 intervals (no verdict is not compliance). */
export const VIOLATION_KINDS = ['rpo', 'rto', 'rto-untested', 'unobserved'] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface SlaViolation {
  /** Unique across monitors: `<sla>-<monitor token>-<seq>`; the events of its start and end derive their ids from it. */
  id: string;
  sla: string;
  kind: ViolationKind;
  /** The source it is about. */
  subject: string;
  start: string;
  end?: string;
  /** Worst observed while open, and the target, in seconds (rto-untested: seconds since the last test, or -1 for never). */
  observedSeconds: number;
  targetSeconds: number;
  /** Which of its events were delivered; an undelivered one is raised again (same id) at later evaluations. */
  notified?: { started?: boolean; resolved?: boolean };
}

/** Evaluation samples of one hour (epoch hour): how many, and how many found the SLA compliant. */
export interface ComplianceBucket {
  hour: number;
  samples: number;
  compliant: number;
}

export const COMPLIANCE_WINDOWS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
export type ComplianceWindow = keyof typeof COMPLIANCE_WINDOWS;

/** What the monitor keeps per SLA (bounded: 30 days of buckets, the newest closed violations, a short RPO history). */
export interface SlaRecord {
  buckets: ComplianceBucket[];
  /** Open violations and the newest closed ones. */
  violations: SlaViolation[];
  /** Per source, the RPO at the newest evaluations (for a small chart): [epoch seconds, rpo seconds]. */
  rpoHistory: Record<string, Array<[number, number]>>;
}

export interface SlaMonitorState {
  slas: Record<string, SlaRecord>;
  sources: Record<string, SourceObservation>;
  repositories: Record<string, RepositoryObservation>;
  /** Next violation sequence number. */
  nextViolation: number;
  /** Set once by the monitor (its first run's id, carried across continue-as-new): violation ids of a recreated monitor never repeat. */
  token?: string;
  evaluations: number;
  lastEvaluatedAt?: string;
  /** Why the last observation failed, or which repositories it could not read (their sources keep their previous observation). */
  lastError?: string;
}

/** One SLA now, as `meridian sla status`, GET /v1/slas, /metrics and the dashboard show it. */
export interface SlaStatus {
  name: string;
  enabled: boolean;
  compliant: boolean;
  rpoTargetSeconds: number;
  rtoTargetSeconds: number;
  /** Worst RPO over its sources; undefined when a source has no good snapshot at all. */
  rpoSeconds?: number;
  rtoSeconds?: number;
  rtoMeasuredAt?: string;
  sources: Array<{ source: string; rpoSeconds?: number; lastGoodSnapshotAt?: string }>;
  /** Share of evaluation samples in compliance per window; null without samples. */
  compliance: Record<ComplianceWindow, number | null>;
  openViolations: SlaViolation[];
}

export interface SlaMonitorView {
  evaluatedAt?: string;
  evaluations: number;
  intervalSeconds: number;
  lastError?: string;
  slas: SlaStatus[];
  sources: SourceObservation[];
  repositories: RepositoryObservation[];
}

/** An SLA's report: its status plus the violations since a time (`meridian sla report`, GET /v1/slas/:name/report). */
export interface SlaReport {
  status: SlaStatus;
  since: string;
  violations: SlaViolation[];
  rpoHistory: Record<string, Array<[number, number]>>;
}

export const slaStatusQuery = defineQuery<SlaMonitorView>('slaStatus');
export const slaReportQuery = defineQuery<SlaReport | undefined, [{ sla: string; since?: string }]>('slaReport');
/** `meridian apply` changed the SLAs, sources or interval: the next evaluation uses these. */
export const reloadSlasSignal = defineSignal<[Omit<SlaMonitorInput, 'carried'>]>('reloadSlas');

/** The memo key of the settings the running monitor took last (set by apply at start, by the monitor on each reload). */
export const SLA_SETTINGS_MEMO = 'slaSettings';
