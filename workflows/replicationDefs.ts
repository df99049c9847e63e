// The names and shapes of replication shared by the workflows, the activities, the CLI, the API and
// `meridian apply`: one long-running workflow per replica set (`replication:<set>`), the signal
// that asks it for a pass, the query and update that read and wait on it, and the result a backup
// reports about its set. Names of repositories only: the worker resolves them in its meridian.yaml.

import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Behind, PassResult, ReplicaDiff } from '../core/replicationTypes.js';
import type { ReplicationMode } from '../config/schema.js';

/** The workflow type of a replica set's passes (workflows/replication.ts). */
export const REPLICATION_WORKFLOW = 'replicationWorkflow';
/** The workflow type that compares a set's replicas with its primary (workflows/replication.ts). */
export const REPLICATION_VERIFY_WORKFLOW = 'replicationVerifyWorkflow';

/** How Temporal UI shows a set's workflow, whoever started it. */
export function replicationSummary(set: string): string {
  return `replication of set ${set}`;
}

/** The one workflow of a replica set: every pass of the set runs in it, so two never interleave. */
export function replicationWorkflowId(set: string): string {
  return `replication:${set}`;
}

/** The name (in `meridian schedule`) of the Schedule `meridian apply` creates for a set; its id is `meridian:` + this. */
export function replicationScheduleName(set: string): string {
  return `replication-${set}`;
}

export interface ReplicationWorkflowInput {
  set: string;
  /** The state carried over continue-as-new. */
  carried?: ReplicationState;
  /** A pass asked for and not run yet when the previous run continued as new (a fresh start always runs one). */
  pending?: { full: boolean };
}

/** `meridian replication verify`'s workflow id: one per request, e.g. `replication-verify:gis:2026-11-30T08:00:00.000Z`. */
export function replicationVerifyWorkflowId(set: string, at: Date): string {
  return `replication-verify:${set}:${at.toISOString()}`;
}

/** The runs of replication that answer the progress query, as they read there and in MeridianOperation. */
export type ReplicationOperation = 'replication' | 'replication-verify';

/** A set as the worker resolves it in its meridian.yaml (activity describeReplicaSet): names only. */
export interface ReplicaSetDescription {
  set: string;
  primary: string;
  replicas: string[];
  /** The backoff floor of a failing or deferred replica's retries (MERIDIAN_REPLICATION_RETRY_SECONDS; default 60 s). */
  retryFloorMs: number;
}

/** A request for a pass. Backups send what they committed, so lag shows before any pass runs. */
export interface ReplicateRequest {
  reason: 'backup' | 'schedule' | 'manual' | 'apply';
  /** List data/ on both sides as well (repairs drift). */
  full?: boolean;
  snapshotId?: string;
  committedAt?: string;
  bytesAdded?: number;
  /** Replicas that already hold the snapshot (sync and quorum backups): not behind for it. */
  heldBy?: string[];
}

export type ReplicaActivityState = 'never-run' | 'idle' | 'copying' | 'deferred' | 'failing';

/** What the set's workflow knows of one replica, between passes too (no storage access to read it). */
export interface ReplicaState {
  name: string;
  state: ReplicaActivityState;
  /** The outcome of the last contact; null before the first. */
  reachable: boolean | null;
  lastContactAt?: string;
  behind: Behind;
  lastSuccessAt?: string;
  lastError?: { message: string; at: string };
  /** The last pass's counters (never file lists). */
  lastPass?: PassResult;
  /** Why the last pass was deferred or the replica waits (another replication holds it, a prune runs). */
  reason?: string;
}

export interface ReplicationState {
  set: string;
  /** Passes since the set's workflow first started (carried over continue-as-new). */
  passes: number;
  lastPassAt?: string;
  replicas: ReplicaState[];
}

export const replicateSignal = defineSignal<[ReplicateRequest]>('replicate');
export const replicationStatusQuery = defineQuery<ReplicationState>('replicationStatus');
/** Runs (or joins) the next complete pass and answers with its results, one per replica. */
export const replicateNowUpdate = defineUpdate<PassResult[], [{ full?: boolean }]>('replicateNow');

/** Activity input: one pass from the set's primary to one of its replicas. */
export interface ReplicateInput {
  set: string;
  replica: string;
  full?: boolean;
}

/** `meridian replication verify`: every replica (or one) compared with the primary by full listings. */
export interface ReplicationVerifyInput {
  set: string;
  replica?: string;
}

export interface ReplicationVerifyOutput {
  workflowId: string;
  set: string;
  ok: boolean;
  differences: number;
  replicas: ReplicaDiff[];
  durationMs: number;
}

/** What a backup of a set's primary reports about replication, and signals to the set's workflow. */
export interface BackupReplication {
  set: string;
  mode: ReplicationMode;
  /** Replicas that held the snapshot's data when it committed (sync: all; quorum: K − 1 at least; async: none). */
  heldBy: string[];
  /** Replicas that still lack it: async replication brings them up. */
  lagging: string[];
  /** How long the backup waited for replicas before its commit. */
  waitedMs: number;
}
