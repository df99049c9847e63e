// Definitions shared by workflows, the worker, the API and the CLI: the task queue, the progress
// query and the input/result shapes of each operation (workflows/catalog.ts describes the
// operations themselves). Import this module (never workflow implementations) from api/ and cli/.

import type { MaintenanceResult } from '../core/immutability.js';
import type { ImmutablePolicy } from '../core/immutablePolicy.js';
import type { ReencryptResult } from '../core/keyRotation.js';
import { defineQuery } from '@temporalio/workflow';
import type { VerifyReport } from '../core/checker.js';
import type { ForgetResult, SnapshotFilter } from '../core/forget.js';
import type { RepairIndexResult, RepairSnapshotsResult } from '../core/repair.js';
import type { RestoreResult } from '../core/restorer.js';
import type { UnlockResult } from '../core/unlock.js';
import type { PruneResult } from '../core/prune.js';
import type { ScrubReport } from '../core/scrub.js';
import type { GroupBy, RetentionPolicy } from '../core/retention.js';
import { PROGRESS_QUERY, type Operation, type OperationOutput } from './catalog.js';
import type { BackupReplication, ReplicationOperation, ReplicationVerifyOutput } from './replicationDefs.js';

export { DEFAULT_TASK_QUEUE } from './taskQueue.js';

export type BackupType = 'full' | 'incremental' | 'differential';
export type VerifyLevel = 'quick' | 'standard' | 'deep';

/** Inputs carry repository URLs, never passphrases or credentials: the worker resolves those. */
export interface BackupInput {
  repo: string;
  path: string;
  type?: BackupType;
  tags?: string[];
  exclude?: string[];
  /** Host recorded in the snapshot; defaults to the worker's hostname. */
  host?: string;
  /** Time recorded in the snapshot, ISO 8601 with a zone (e.g. to import a history); defaults to now. */
  time?: string;
  /** Task queue of the worker on the host that holds the data; defaults to the workflow's queue. */
  dataTaskQueue?: string;
}

export interface BackupOutput extends RanOn {
  snapshotId: string;
  /** The host and source directory the snapshot records (the worker's hostname, the resolved path, when the input gave none). */
  host: string;
  source: string;
  type: BackupType;
  parent: string | null;
  files: number;
  filesNew: number;
  filesChanged: number;
  filesUnmodified: number;
  /** Entries the backup could not read; the snapshot lacks them. */
  filesSkipped: number;
  /** One line per skipped entry naming its path: the first MAX_WARNINGS (core/warnings.ts), each bounded in size. */
  warnings: string[];
  dirs: number;
  bytes: number;
  bytesRead: number;
  bytesAdded: number;
  bytesStored: number;
  durationMs: number;
  /** New files named as a vanished file with a new extension (core/changeAnomaly.ts). */
  filesRenamedExtension?: number;
  /** The changes looked like ransomware at work: why (the snapshot records it; forget holds the older snapshots of the source). */
  suspectedRansomware?: { reasons: string[] };
  /** The repository is the primary of a replica set: which replicas hold the snapshot, which lag. */
  replication?: BackupReplication;
}

/** In an operation's result: the repository it ran on when the input named a replica set's primary and another member is active (a failover). */
export interface RanOn {
  activeRepository?: string;
}

export interface RestoreInput {
  repo: string;
  snapshot: string;
  target: string;
  include?: string[];
  exclude?: string[];
  dataTaskQueue?: string;
}

/** The engine's restore result plus duration (type-only imports: nothing of core/ enters the workflow bundle). */
export type RestoreOutput = RestoreResult & RanOn & { durationMs: number };

export interface VerifyInput {
  repo: string;
  snapshot?: string;
  level?: VerifyLevel;
  samplePercent?: number;
  /** Deep verify of subset n of t of the packs only (core/packSubset.ts); implies level deep. */
  subset?: { n: number; t: number };
  dataTaskQueue?: string;
}

/** The engine's verify report plus duration. */
export type VerifyOutput = VerifyReport & RanOn & { durationMs: number };

/** A repair of a repository: `repair index` or `repair snapshots`. */
export interface RepairInput {
  repo: string;
  dataTaskQueue?: string;
}

export type RepairIndexOutput = RepairIndexResult & RanOn & { durationMs: number };
export type RepairSnapshotsOutput = RepairSnapshotsResult & RanOn & { durationMs: number };

/** A forget: the snapshots a retention policy does not keep, or exactly the snapshots named. */
export interface ForgetInput {
  repo: string;
  /** The retention policy (core/retention.ts); or `snapshots`. */
  policy?: RetentionPolicy;
  /** Snapshot ids or unique prefixes to remove; or `policy`. */
  snapshots?: string[];
  /** How snapshots are grouped for the policy; defaults to host,source. */
  groupBy?: GroupBy;
  /** IANA time zone of the policy's calendar buckets; defaults to the worker's. */
  timezone?: string;
  /** Lets a policy remove every snapshot of a group. */
  allowEmpty?: boolean;
  /** Only the snapshots of this host and these source paths are considered (a scheduled run's own source). */
  filter?: SnapshotFilter;
  dryRun?: boolean;
  /** `forget --prune`: prune the repository after the forget, in the same workflow (a dry run with dryRun). */
  prune?: { maxUnusedPercent?: number };
  dataTaskQueue?: string;
}

/**
 * The engine's forget result (at most 1,000 snapshots listed, the rest counted) plus duration, and
 * the prune's output when the input asked for one (set by the workflow, not by the forget activity).
 */
export type ForgetOutput = ForgetResult & RanOn & { durationMs: number; prune?: PruneOutput };

/** A prune: one at a time per repository (its workflow id is the repository's, see workflows/catalog.ts). */
export interface PruneInput {
  repo: string;
  /** Packs with a larger unused share (percent) are repacked; default 5. */
  maxUnusedPercent?: number;
  dryRun?: boolean;
  dataTaskQueue?: string;
}

/** The engine's prune result (counts only) plus duration. */
export type PruneOutput = PruneResult & RanOn & { durationMs: number };

/** An unlock: the stale locks of a repository removed, or with `force` every lock. */
export interface UnlockInput {
  repo: string;
  force?: boolean;
  dataTaskQueue?: string;
}

/** The locks removed and kept (at most 100 of each listed, all counted) plus duration. */
export type UnlockOutput = UnlockResult & RanOn & { durationMs: number };

/**
 * What the `progress` query returns. Byte-level progress lives in the running activity's
 * heartbeat details (shown by Temporal UI and merged in by the API and the CLI).
 */
export interface WorkflowProgress {
  operation: Operation | ScheduledOperation | ReplicationOperation;
  phase: 'running' | 'completed' | 'failed';
  startedAt: string;
  attempt?: number;
  result?: OperationOutput<Operation> | ScheduledBackupOutput | ScrubOutput | ReplicationVerifyOutput;
  error?: string;
}

export const progressQuery = defineQuery<WorkflowProgress>(PROGRESS_QUERY);

/** The runs only Schedules start (`meridian apply`): not operations of the catalog, no API route to start them. */
export type ScheduledOperation = 'scheduled-backup' | 'scrub';

/** Someone to tell when a scheduled run fails or a scrub finds damage: an email address or an http(s) webhook URL. */
export type NotifyTarget = string;

/** What a notification says (the notification issue adds channels, signing and severities). */
export interface NotifyEvent {
  kind: 'scheduled-backup-failed' | 'scrub-found-damage' | 'scrub-failed';
  /** The schedule (name in meridian.yaml) whose run this is. */
  schedule: string;
  repository: string;
  workflowId: string;
  /** One line. */
  message: string;
  time: string;
}

/**
 * A run of a backup schedule (`scheduledBackupWorkflow`, started by a Temporal Schedule that
 * `meridian apply` made): back up, then forget by the schedule's policy over this source's
 * snapshots only, then prune every `pruneEvery`-th run, then notify on failure. Names and URLs only.
 */
export interface ScheduledBackupInput {
  /** The schedule's name in meridian.yaml. */
  schedule: string;
  backup: BackupInput;
  /** The forget after each backup (its `repo` is the backup's; it applies to the backup's host and path only). */
  retention?: { policy: RetentionPolicy; groupBy?: GroupBy; timezone?: string };
  prune?: { every: number; maxUnusedPercent?: number };
  /** Notification channels (names); runs applied before channels hold URLs and addresses (NotifyTarget). */
  notify?: string[];
}

export interface ScheduledBackupOutput {
  /** Completed runs of this schedule, this one included (carried from the last completed run's result). */
  run: number;
  /** Counts only: the lines naming skipped files stay in the child backup workflow's result. */
  backup: Omit<BackupOutput, 'warnings'>;
  /** Counts only: the forget activity's listing stays in its own history event (each run's result is the next run's input). */
  forget?: Pick<ForgetOutput, 'kept' | 'removed' | 'durationMs'>;
  prune?: PruneOutput;
}

/** The background half of a key rotation (`keyRotationWorkflow`): seal everything again under the new key, then destroy the retired one. */
export interface KeyRotationInput {
  repo: string;
  /** Throttles the reading of the packs to seal again, in bytes per second; unlimited when absent. */
  bytesPerSecond?: number;
  dataTaskQueue?: string;
}

/** What was sealed again (core/keyRotation.ts), and the key files: the new one without the retired key, and those deleted. */
export type KeyRotationOutput = ReencryptResult &
  RanOn & {
    keyFile: string | null;
    removedKeyFiles: string[];
    durationMs: number;
  };

/** One pass of an immutable repository's maintenance (`immutableMaintenanceWorkflow`). */
export interface ImmutableMaintenanceInput {
  repo: string;
  dataTaskQueue?: string;
}

/** The pass's counts (core/immutability.ts), the bucket's policy and the duration. */
export interface ImmutableMaintenanceOutput extends MaintenanceResult {
  policy: ImmutablePolicy;
  durationMs: number;
}

/** A scrub run (`scrubWorkflow`): deep-verify the next share of the packs, 1/cycle per run. */
export interface ScrubInput {
  /** The schedule's name in meridian.yaml, when a Schedule started it. */
  schedule?: string;
  repo: string;
  cycle: number;
  /** Pack bytes read at most per run; the rest of the share carries over to the next run. */
  budgetBytes?: number;
  /** Notification channels (names); runs applied before channels hold URLs and addresses (NotifyTarget). */
  notify?: string[];
  dataTaskQueue?: string;
}

/** Where the rotation stands: subset `subset` of `cycle` (1-based, restic's n/t), packs after `after` still to read. */
export interface ScrubCursor {
  cycle: number;
  subset: number;
  after?: string;
}

/** One scrub run's activity (`scrubRepository`): the input's share of the packs from the cursor on. */
export interface ScrubRunInput {
  repo: string;
  cycle: number;
  budgetBytes?: number;
  /** Where the previous completed run left off; none, or one of another cycle, starts at subset 1. */
  cursor?: ScrubCursor;
}

/** The engine's scrub report (counts, at most 20 problems, the next cursor) plus duration. */
export type ScrubRunOutput = ScrubReport & RanOn & { durationMs: number };

/** What a scrub run returns, and (as the Schedule's last completion result) where the next run starts. */
export interface ScrubOutput {
  /** No problem found: false when the run found damage (the run still completes, so that the next run gets the cursor). */
  ok: boolean;
  /** The subset of packs this run read from, n/t. */
  subset: { n: number; t: number };
  /** Packs read in full and their stored bytes. */
  checked: { packs: number; bytes: number };
  /** What the run found, each naming the pack, a snapshot and a file it affects (at most 20, the rest counted). */
  problems: ScrubReport['problems'];
  /** Where the next run starts. */
  cursor: ScrubCursor;
  /** The budget stopped this run inside its subset: a full pass takes more than `cycle` runs. */
  cycleStretched: boolean;
  warnings: string[];
  /** The notification of the damage found: delivered/skipped targets (legacy), delivered/filtered channels, or why it failed. */
  notification?: { delivered: number; skipped: number } | { delivered: string[]; filtered: string[]; unknown?: string[] } | { failed: string };
  durationMs: number;
}
