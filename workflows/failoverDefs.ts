// The names and shapes of failover shared by the monitor workflow, its activities, the worker's
// active-region lookup, `meridian apply`, the CLI and the API: one long-running monitor per
// `failover:` entry (`failover:<name>`), what it knows (the active region, check streaks, events),
// the query that reads it and the Updates that move it by hand. Names only: the worker resolves
// regions to repositories in its meridian.yaml.

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** The one monitor of a failover entry; also what the worker queries to learn the active region. */
export function failoverWorkflowId(name: string): string {
  return `failover:${name}`;
}

export interface FailoverWorkflowInput {
  name: string;
  /** The state carried over continue-as-new. */
  carried?: FailoverState;
}

/** One probe of a region: a storage canary round trip of one repository, or an HTTP check. */
export interface ProbeResult {
  kind: 'storage' | 'http';
  /** The repository name, or the URL of an HTTP check without its query and credentials. */
  target: string;
  healthy: boolean;
  latencyMs: number;
  /** Why it is unhealthy (one line, no secrets). */
  reason?: string;
}

/** A region's health at one check: healthy when every probe is. */
export interface RegionHealth {
  region: string;
  healthy: boolean;
  /** The first failing probe's reason, naming it. */
  reason?: string;
  probes: ProbeResult[];
  at: string;
}

export type FailoverEventKind =
  /** The active region moved away from a failed (or, by hand, a healthy) region. */
  | 'failover'
  /** The active region moved back to the original primary. */
  | 'failback'
  /** Automatic failover withheld (every secondary lags too much or is unhealthy): waits for a manual decision. */
  | 'failover-blocked'
  /** The original primary is healthy again and re-synced; autoFailback is off. */
  | 'failback-possible'
  /** A region that was active and failed came back and was made a replica of the active one (its own newer snapshots copied over first). */
  | 'resynced'
  /** A switch began and could not finish; the active region did not change. */
  | 'switch-failed';

export interface FailoverEvent {
  /** Unique in the monitor (`<name>-<seq>`), returned by the manual Updates. */
  id: string;
  kind: FailoverEventKind;
  at: string;
  from: string;
  to: string;
  reason: string;
  trigger: 'automatic' | 'manual';
  /** The identity that asked, for manual ones. */
  by?: string;
  /** The probes that failed, for a failover caused by checks. */
  failedChecks?: ProbeResult[];
  /** The secondary's replication lag when it was chosen (or refused), when known. */
  lagSeconds?: number;
}

/** A switch of the active region in progress (only one at a time). */
export interface FailoverSwitch {
  kind: 'failover' | 'failback';
  from: string;
  to: string;
  since: string;
  eventId: string;
  trigger: 'automatic' | 'manual';
}

export interface FailoverState {
  name: string;
  replication: string;
  primaryRegion: string;
  secondaryRegions: string[];
  /** Where backups, restores and replication go now. */
  activeRegion: string;
  /** Consecutive failed checks of the active region. */
  consecutiveFailures: number;
  /** Consecutive healthy checks of the original primary while another region is active. */
  primaryHealthyStreak: number;
  switching?: FailoverSwitch;
  /** Regions that were active, failed and must be re-synced (made replicas of the active one) before anything else. */
  needsResync: string[];
  /** Set while an automatic failover is withheld and a human must decide. */
  awaitingDecision?: {
    reason: string;
    since: string;
    eventId: string;
    /** The monitor started fresh and found these regions writable: kept until a switch settles it (a healthy check does not end it). */
    writable?: string[];
  };
  /** The original primary is healthy and re-synced while another region is active, and autoFailback is off. */
  failbackPossible: boolean;
  /** The active region was moved by a manual graceful failover (an evacuation of a healthy region): autoFailback does not apply, failback waits for a person. (Optional: states carried from older runs lack it.) */
  failbackByHand?: boolean;
  /** The latest result of each region's check. */
  regions: Record<string, RegionHealth>;
  /** Check intervals since the monitor first started (carried over continue-as-new). */
  checks: number;
  /** The most recent events, oldest first (at most FAILOVER_EVENTS_KEPT). */
  events: FailoverEvent[];
  /** Events ever recorded (event ids count from it). */
  eventCount: number;
  /** Set once by the monitor (its first run's id, carried across continue-as-new): event ids of a recreated monitor never repeat. */
  token?: string;
}

export const FAILOVER_EVENTS_KEPT = 100;

export const failoverStatusQuery = defineQuery<FailoverState>('failoverStatus');

export interface ManualFailoverRequest {
  /** A secondary region; default the first healthy one in order. */
  to?: string;
  reason?: string;
  /** Who asks (API token name, CLI user). */
  by?: string;
}

export interface ManualFailbackRequest {
  reason?: string;
  by?: string;
}

export interface SwitchAccepted {
  eventId: string;
  from: string;
  to: string;
}

/** Moves the active region now. Rejected (validator) when the target is unknown, the active one, unhealthy at its last check, or a switch is in progress. */
export const failoverUpdate = defineUpdate<SwitchAccepted, [ManualFailoverRequest]>('failover');
/** Re-syncs the original primary and moves back to it. Rejected when it is already active, unhealthy at its last check, or a switch is in progress. */
export const failbackUpdate = defineUpdate<SwitchAccepted, [ManualFailbackRequest]>('failback');
/** What `meridian apply` sends with a reload: the digest of the entry it applied, which the monitor keeps in its memo (FAILOVER_DIGEST_MEMO, carried over continue-as-new) so apply knows it is current. */
export interface ReloadFailoverRequest {
  digest?: string;
}
export const FAILOVER_DIGEST_MEMO = 'failoverDigest';
/** `meridian apply` changed the entry: the monitor reads its configuration again. */
export const reloadFailoverSignal = defineSignal<[ReloadFailoverRequest?]>('reloadFailover');

/** A failover entry as the worker resolves it in its meridian.yaml (activity describeFailover). */
export interface FailoverDescription {
  name: string;
  replication: string;
  primaryRegion: string;
  secondaryRegions: string[];
  autoFailover: boolean;
  autoFailback: boolean;
  intervalMs: number;
  failoverThreshold: number;
  failbackThreshold: number;
  maxLagOnFailoverSeconds?: number;
  probeTimeoutMs: number;
  /** The set's repository in each region. */
  members: Record<string, string>;
}

/** Activity inputs. Each names the failover entry; the worker resolves regions to repositories. */
export interface CheckRegionsInput {
  name: string;
  regions: string[];
  /** Only the HTTP checks and reads: a runbook's dry run (the storage probe still writes its canary unless this is set). */
  readOnly?: boolean;
}
/** resyncRegion / catchUpRegion: `region`'s member made (or brought up to date as) a replica of the member in `active`. The monitor passes the active region: activities never ask the monitor back. */
export interface RegionInput {
  name: string;
  region: string;
  active: string;
}
export interface SwitchInput {
  name: string;
  from: string;
  to: string;
  /** The event id: the activity's idempotency key (a retried switch that already happened is a no-op). */
  eventId: string;
}
/** promoteRegion's result: `to` promoted, then what every other reachable member (except `from`) held merged into it; `unmerged`: the regions it could not reach (they must be re-synced before they are replicas again). */
export interface PromoteResult {
  promoted: boolean;
  unmerged: string[];
}
/** discoverRegions: each region by its member's replica-state doc (writable: none, replicas: one, unreachable: could not be read within the probe timeout). */
export interface DiscoveredRegions {
  writable: string[];
  replicas: string[];
  unreachable: string[];
}
/** What the worker knows of each secondary's lag from the set's replication workflow (null: unknown). */
export interface RegionLag {
  region: string;
  lagSeconds: number | null;
}
/** A catch-up pass from the active region to `region`; caughtUp when nothing is behind. */
export interface CatchUpResult {
  region: string;
  caughtUp: boolean;
  behindSnapshots: number;
  /** Why it could not run (deferred: another replication holds it, a prune runs). */
  deferred?: string;
}
