// The events Meridian tells operators about, shared by the workflows that raise them, the notify
// activity that delivers them to the channels of meridian.yaml (`notifications:`), the metrics and
// the dashboard. An event is small, has one line of text and no secrets; its id is the idempotency
// key that receivers see, so a retried delivery is recognisable as the same event.

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const EVENT_KINDS = [
  'backup-failed',
  'restore-failed',
  /** A verify or scrub run that failed (could not finish), not one that found damage. */
  'verify-failed',
  'prune-failed',
  'replication-failed',
  /** A verify or scrub found damaged or missing data. */
  'damage-found',
  'sla-violation-started',
  'sla-violation-resolved',
  'failover',
  'failback',
  /** Automatic failover withheld: a manual decision is needed. */
  'failover-blocked',
  'runbook-waiting',
  'runbook-finished',
  /** A backup whose changes look like ransomware at work (core/changeAnomaly.ts). */
  'suspected-ransomware',
  /** An immutable repository's maintenance failed: the retention of files in use may run short. */
  'immutable-maintenance-failed',
  /** A key rotation failed: the old master key, which may have leaked, still opens the repository. */
  'key-rotation-failed',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * The severity an event of each kind has unless its raiser says otherwise. A `-resolved` event
 * carries the severity of the incident it ends, so a channel that got the start gets the end.
 */
export const DEFAULT_SEVERITY: Record<EventKind, Severity> = {
  'backup-failed': 'critical',
  'restore-failed': 'critical',
  'verify-failed': 'warning',
  'prune-failed': 'warning',
  'replication-failed': 'warning',
  'damage-found': 'critical',
  'sla-violation-started': 'critical',
  'sla-violation-resolved': 'critical',
  failover: 'critical',
  failback: 'warning',
  'failover-blocked': 'critical',
  'runbook-waiting': 'warning',
  'runbook-finished': 'info',
  'suspected-ransomware': 'critical',
  'immutable-maintenance-failed': 'critical',
  'key-rotation-failed': 'critical',
};

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export interface MeridianEvent {
  /**
   * Unique per event and stable across retries: the idempotency key receivers see. Derived from
   * what happened (e.g. `sla:<name>:<violation id>:started`, `<workflow id>:<run id>:failed`),
   * never from the time of sending, so the same incident cannot notify twice.
   */
  id: string;
  kind: EventKind;
  severity: Severity;
  /** When it happened (ISO 8601). */
  time: string;
  /** What it is about: a source, repository, SLA, failover or runbook name (or a path). */
  subject: string;
  /** One line for a subject line or a chat message. */
  summary: string;
  /** The workflow that raised it, for a link into Temporal UI. */
  workflowId?: string;
  /** A few facts (observed and target seconds, regions, step…); never secrets, never bytes. */
  details?: Record<string, string | number | boolean>;
}

/** What the notify activity is asked to deliver: one event, to the named channels or to every channel. */
export interface NotifyEventInput {
  event: MeridianEvent;
  /** Channel names (an SLA's or a schedule's `notify` list); default every channel of meridian.yaml. */
  channels?: string[];
}

export interface NotifyEventOutput {
  /** Channels that took the event (in this attempt or an earlier one). */
  delivered: string[];
  /** Channels that do not want it (severity below their minimum, or kind not in their `events`). */
  filtered: string[];
  /** Names of the raiser's `notify` list that the worker's meridian.yaml has no channel for. */
  unknown?: string[];
}
