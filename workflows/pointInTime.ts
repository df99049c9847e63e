// Input and result shapes of the point-in-time operations: PostgreSQL base backup and restore to a
// time and the check of its archived WAL, and the restore of a file set as of a time from its snapshots and change journal. Type-only imports of core/: nothing of it enters the workflow bundle.

import type { PgBackupInfo } from '../core/pgBaseBackup.js';
import type { WalGapReport } from '../core/walChain.js';
import type { RestoreResult } from '../core/restorer.js';
import type { SnapshotStats } from '../core/snapshots.js';
import type { RanOn } from './shared.js';

export const PG_TARGET_ACTIONS = ['promote', 'pause'] as const;
export type PgTargetAction = (typeof PG_TARGET_ACTIONS)[number];

/** A base backup of a cluster, by its data directory on the worker's host or by a connection URL. */
export interface PgBackupInput {
  repo: string;
  /** The name the cluster's WAL and base backups are stored under (as in `meridian pg wal-push --cluster`). */
  cluster: string;
  pgdata?: string;
  /** A libpq connection URL without a password (the worker's ~/.pgpass or PGPASSFILE holds it). */
  dsn?: string;
  dataTaskQueue?: string;
}

export type PgBackupOutput = SnapshotStats & RanOn & { snapshotId: string; pg: PgBackupInfo; durationMs: number };

export interface PgRestoreInput {
  repo: string;
  cluster: string;
  /** ISO 8601 with a zone: the moment the restored cluster reflects. */
  targetTime: string;
  /** An empty (or absent) directory on the worker's host. */
  targetDir: string;
  targetAction?: PgTargetAction;
  /** The restore_command written to postgresql.auto.conf; defaults to `meridian pg wal-fetch` of this repository and cluster. */
  restoreCommand?: string;
  /** Start PostgreSQL on this port after the restore and wait until recovery reached the target. */
  start?: { port: number; timeoutMs?: number };
  dataTaskQueue?: string;
}

export type PgRestoreOutput = RanOn & {
  snapshotId: string;
  backup: PgBackupInfo;
  targetTime: string;
  targetDir: string;
  /** When the restore started the cluster: when recovery reached the target. */
  recoveryEndedAt?: string;
  durationMs: number;
};

/** The archived WAL of a cluster checked for gaps from each kept base backup; with `retention`, the WAL none of them needs deleted. */
export interface PgVerifyInput {
  repo: string;
  cluster: string;
  retention?: boolean;
  /** With retention: report what would be deleted, delete nothing. */
  dryRun?: boolean;
  dataTaskQueue?: string;
}

/**
 * ok: no gap. `deletedCount`: how many WAL files retention deleted (or, dry run, would delete);
 * `deleted`: the first 50 of them (every one in outputs recorded before deletedCount existed).
 */
export type PgVerifyOutput = RanOn & WalGapReport & { ok: boolean; baseBackups: number; deleted?: string[]; deletedCount?: number; dryRun?: boolean; durationMs: number };

/** A file set restored as it was at a moment: its newest snapshot then, plus the journal segments up to then. */
export interface RestoreAtInput {
  repo: string;
  /** The source directory as its snapshots record it. */
  source: string;
  host?: string;
  /** ISO 8601 with a zone. */
  at: string;
  target: string;
  dataTaskQueue?: string;
}

export type RestoreAtOutput = RestoreResult & RanOn & { snapshot: string; segments: number; at: string; durationMs: number };
