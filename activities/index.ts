// The activities: thin adapters from workflow inputs to the engine. Each has the request admitted
// by the worker's authority (its repository known, its paths under the worker's roots) before it
// opens the repository with the passphrase the worker holds, holds a lock on it for its whole run
// (activities/repositoryRun.ts), heartbeats progress, resumes
// after a retry (the index written by the failed attempt makes its uploads count), and returns
// only ids and counters to the workflow.

import { Context } from '@temporalio/activity';
import { backup } from '../core/archiver.js';
import { verify } from '../core/checker.js';
import { repairIndex, repairSnapshots } from '../core/repair.js';
import { forget } from '../core/forget.js';
import { prune } from '../core/prune.js';
import { restore } from '../core/restorer.js';
import { scrub } from '../core/scrub.js';
import { unlock } from '../core/unlock.js';
import { operationPaths } from '../workflows/catalog.js';
import {
  BackupInput,
  BackupOutput,
  ForgetInput,
  ForgetOutput,
  PruneInput,
  PruneOutput,
  RepairIndexOutput,
  RepairInput,
  RepairSnapshotsOutput,
  RestoreInput,
  RestoreOutput,
  ScrubRunInput,
  ScrubRunOutput,
  UnlockInput,
  UnlockOutput,
  VerifyInput,
  VerifyOutput,
} from '../workflows/shared.js';
import { backupReplication } from './backupReplication.js';
import { notify } from './notify.js';
import { createNotifyActivities } from './notifyEvent.js';
import { createFailoverActivities } from './failover.js';
import { createReplicationActivities } from './replication.js';
import { createRunbookActivities } from './runbook.js';
import { createSlaActivities } from './sla.js';
import { createJournalActivities } from './journalWatcher.js';
import { runWithHeartbeats } from './heartbeats.js';
import { zonedTime } from './inputTime.js';
import { createPgActivities } from './pg.js';
import { createRestoreAtActivities } from './restoreAt.js';
import { createImmutableActivities } from './immutable.js';
import { createKeyRotationActivities } from './keyRotation.js';
import { maintenanceUnlessDryRun, RepositoryDeps, withRepository } from './repositoryRun.js';
import type { FleetHistory } from '../worker/fleetHistory.js';

export interface ActivityDeps extends RepositoryDeps {
  /** Encoder threads per backup; defaults to the number of cores. */
  encoderThreads?: number;
  /** Recoveries and verify findings from Temporal visibility (the SLA monitor's observation); none: no RTO is measured. */
  fleetHistory?: FleetHistory;
}

export function createActivities(deps: ActivityDeps) {
  return {
    async backupSnapshot(input: BackupInput): Promise<BackupOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const workflowId = Context.current().info.workflowExecution?.workflowId;
        const { result, replication, activeRepository } = await withRepository(deps, { repo: input.repo, ...operationPaths('backup', input), lock: { operation: 'backup' } }, cancellation, async (repo, signal, _lock, commit, target) => {
          const replicas = backupReplication(deps, target.set, repo, workflowId);
          try {
            const done = await backup(repo, {
              source: input.path,
              type: input.type ?? 'incremental',
              tags: input.tags,
              excludes: input.exclude,
              host: input.host,
              time: input.time === undefined ? undefined : zonedTime('time', input.time),
              threads: deps.encoderThreads,
              signal,
              commit,
              replicas: replicas?.barrier,
              onProgress: report,
            });
            return { result: done, replication: replicas?.outcome() };
          } finally {
            await replicas?.close();
          }
        });
        return {
          snapshotId: result.snapshotId,
          host: result.host,
          source: result.source,
          type: result.type,
          parent: result.parent,
          ...result.stats,
          filesSkipped: result.filesSkipped,
          warnings: result.warnings,
          ...(result.suspectedRansomware ? { suspectedRansomware: result.suspectedRansomware } : {}),
          ...(replication ? { replication } : {}),
          ...(activeRepository !== undefined ? { activeRepository } : {}),
          durationMs: Date.now() - started,
        };
      });
    },

    async restoreSnapshot(input: RestoreInput): Promise<RestoreOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const result = await withRepository(deps, { repo: input.repo, ...operationPaths('restore', input), lock: { operation: 'restore' } }, cancellation, (repo, signal) =>
          restore(repo, input.snapshot, { target: input.target, includes: input.include, excludes: input.exclude, signal, onProgress: report }),
        );
        return { ...result, durationMs: Date.now() - started };
      });
    },

    async verifyRepository(input: VerifyInput): Promise<VerifyOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const outcome = await withRepository(deps, { repo: input.repo, lock: { operation: 'verify' } }, cancellation, (repo, signal) =>
          verify(repo, {
            snapshot: input.snapshot,
            level: input.level ?? (input.subset ? 'deep' : 'standard'),
            samplePercent: input.samplePercent,
            subset: input.subset,
            onProgress: report,
            signal,
          }),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /** Removes snapshot files by a retention policy or by id; a retry lists the snapshots again and decides anew. */
    async forgetSnapshots(input: ForgetInput): Promise<ForgetOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const outcome = await withRepository(deps, { repo: input.repo, ...maintenanceUnlessDryRun('forget', input.dryRun), lock: { operation: 'forget' } }, cancellation, (repo, signal) =>
          forget(repo, {
            policy: input.policy,
            snapshotIds: input.snapshots,
            namedMayBeGone: Context.current().info.attempt > 1,
            groupBy: input.groupBy,
            timezone: input.timezone,
            allowEmpty: input.allowEmpty,
            filter: input.filter,
            dryRun: input.dryRun,
            signal,
            onProgress: report,
          }),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /** Removes stale locks (each watched for 2 × the refresh interval first), or every lock with force; holds none itself. */
    async unlockRepository(input: UnlockInput): Promise<UnlockOutput> {
      return runWithHeartbeats(async (_report, cancellation) => {
        const started = Date.now();
        const outcome = await withRepository(deps, { repo: input.repo, lock: 'none' }, cancellation, (repo, signal) =>
          unlock(repo, { force: input.force, timings: deps.lockTimings, signal }),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /**
     * Deletes and repacks the packs of unused data (core/prune.ts); a retry (or the next prune)
     * finishes the plan a killed attempt left. Progress: its phase and how far into it.
     */
    async pruneRepository(input: PruneInput): Promise<PruneOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        // Exclusive: no other prune or index repair at once. A dry run changes nothing: it shares.
        const lock = { operation: 'prune', exclusive: !input.dryRun };
        const outcome = await withRepository(deps, { repo: input.repo, ...maintenanceUnlessDryRun('prune', input.dryRun), lock }, cancellation, (repo, signal, heldLock) =>
          prune(repo, {
            maxUnusedPercent: input.maxUnusedPercent,
            dryRun: input.dryRun,
            heldLock,
            lockTimings: deps.lockTimings,
            signal,
            onProgress: (phase, done, total) => report({ phase, done, total }),
          }),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /** Rebuilds the index from the pack headers; a retry starts over (old index files go only at the end). */
    async repairIndex(input: RepairInput): Promise<RepairIndexOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const outcome = await withRepository(deps, { repo: input.repo, maintenance: 'repair index', lock: { operation: 'repair-index', exclusive: true } }, cancellation, (repo, signal) =>
          repairIndex(repo, report, signal),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /** Rewrites the snapshots that reference lost data; a retry finds the ones already repaired intact. */
    async repairSnapshots(input: RepairInput): Promise<RepairSnapshotsOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const outcome = await withRepository(deps, { repo: input.repo, maintenance: 'repair snapshots', lock: { operation: 'repair-snapshots' } }, cancellation, (repo, signal) =>
          repairSnapshots(repo, report, signal),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /**
     * One scrub run (core/scrub.ts): deep-verifies the next share of the packs from the cursor, one
     * pack at a time (never reads in parallel), under the shared lock every activity holds, so
     * backups and a prune go on beside it. A retry reads the run's share again from the cursor.
     */
    async scrubRepository(input: ScrubRunInput): Promise<ScrubRunOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const outcome = await withRepository(deps, { repo: input.repo, lock: { operation: 'scrub' } }, cancellation, (repo, signal) =>
          scrub(repo, { cycle: input.cycle, cursor: input.cursor, budgetBytes: input.budgetBytes, signal, onProgress: report }),
        );
        return { ...outcome, durationMs: Date.now() - started };
      });
    },

    /** Tells a scheduled run's targets what happened (activities/notify.ts): runs started before notification channels. */
    notify,

    ...createNotifyActivities(deps),
    ...createReplicationActivities(deps),
    ...createFailoverActivities(deps),
    ...createRunbookActivities(deps),
    ...createSlaActivities(deps),
    ...createImmutableActivities(deps),
    ...createKeyRotationActivities(deps),
    ...createJournalActivities(deps),
    ...createPgActivities(deps),
    ...createRestoreAtActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;

