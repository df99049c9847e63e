// The PostgreSQL activities: a base backup of a cluster (core/pgBaseBackup.ts), and its restore as
// of a time with recovery configured to replay the archived WAL up to it and, when asked, the start
// of the restored cluster until recovery reached the target (core/pgRestore.ts), and the check of
// the archived WAL from each kept base backup, with retention (core/walChain.ts).

import path from 'node:path';
import { listPgBackups, pgBaseBackup } from '../core/pgBaseBackup.js';
import { restorePg, startRecoveredCluster } from '../core/pgRestore.js';
import { checkWalChain, pruneWal } from '../core/walChain.js';
import { operationPaths } from '../workflows/catalog.js';
import type { PgBackupInput, PgBackupOutput, PgRestoreInput, PgRestoreOutput, PgVerifyInput, PgVerifyOutput } from '../workflows/pointInTime.js';
import { packageRoot } from '../worker/temporalBinary.js';
import { runWithHeartbeats } from './heartbeats.js';
import { zonedTime } from './inputTime.js';
import { maintenanceUnlessDryRun, RepositoryDeps, withRepository } from './repositoryRun.js';

/** How long a started cluster may take to reach its recovery target, unless the input says. */
const DEFAULT_START_TIMEOUT_MS = 10 * 60_000;

export function createPgActivities(deps: RepositoryDeps) {
  return {
    async pgBackup(input: PgBackupInput): Promise<PgBackupOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const { snapshotId, info, stats, activeRepository } = await withRepository(deps, { repo: input.repo, ...operationPaths('pg-backup', input), lock: { operation: 'pg-backup' } }, cancellation, (repo, signal) =>
          pgBaseBackup(repo, { cluster: input.cluster, pgdata: input.pgdata, dsn: input.dsn, signal, onProgress: report }),
        );
        return { ...stats, snapshotId, pg: info, ...(activeRepository !== undefined ? { activeRepository } : {}), durationMs: Date.now() - started };
      });
    },

    async pgRestore(input: PgRestoreInput): Promise<PgRestoreOutput> {
      return runWithHeartbeats(async (report, cancellation) => {
        const started = Date.now();
        const targetTime = zonedTime('targetTime', input.targetTime);
        const restoreCommand = input.restoreCommand ?? walFetchCommand(input.repo, input.cluster);
        const restored = await withRepository(deps, { repo: input.repo, ...operationPaths('pg-restore', input), lock: { operation: 'pg-restore' } }, cancellation, (repo, signal) =>
          restorePg(repo, { cluster: input.cluster, targetTime, targetDir: input.targetDir, targetAction: input.targetAction ?? 'promote', restoreCommand, signal, onProgress: report }),
        );
        const recovery = input.start ? await startRecoveredCluster({ targetDir: input.targetDir, port: input.start.port, timeoutMs: input.start.timeoutMs ?? DEFAULT_START_TIMEOUT_MS, signal: cancellation }) : undefined;
        return {
          snapshotId: restored.snapshotId,
          backup: restored.backup,
          targetTime: restored.targetTime,
          targetDir: input.targetDir,
          ...(recovery ? { recoveryEndedAt: recovery.recoveryEndedAt } : {}),
          ...(restored.activeRepository !== undefined ? { activeRepository: restored.activeRepository } : {}),
          durationMs: Date.now() - started,
        };
      });
    },

    async pgVerify(input: PgVerifyInput): Promise<PgVerifyOutput> {
      return runWithHeartbeats(async (_report, cancellation) => {
        const started = Date.now();
        const { report, baseBackups, pruned, activeRepository } = await withRepository(deps, { repo: input.repo, ...(input.retention ? maintenanceUnlessDryRun('pg WAL retention', input.dryRun) : {}), lock: { operation: 'pg-verify' } }, cancellation, async (repo) => {
          const startWals = (await listPgBackups(repo, input.cluster)).map((backup) => backup.pg.startWal);
          const report = await checkWalChain(repo, input.cluster, startWals);
          const pruned = input.retention ? await pruneWal(repo, input.cluster, startWals, { dryRun: input.dryRun }) : undefined;
          return { report, baseBackups: startWals.length, pruned };
        });
        return {
          ...report,
          ok: report.gaps.length === 0,
          baseBackups,
          ...(pruned !== undefined ? { ...pruned, dryRun: input.dryRun === true } : {}),
          ...(activeRepository !== undefined ? { activeRepository } : {}),
          durationMs: Date.now() - started,
        };
      });
    },
  };
}

/**
 * The restore_command PostgreSQL runs for each WAL file it needs: this installation's
 * `meridian pg wal-fetch` of the repository and cluster. It runs as the server's user, which
 * must reach the repository's passphrase itself (MERIDIAN_PASSWORD_FILE or meridian.yaml).
 */
export function walFetchCommand(repo: string, cluster: string): string {
  const meridian = path.join(packageRoot(), 'bin', 'meridian.js');
  return [process.execPath, meridian, 'pg', 'wal-fetch', '--repo', repo, '--cluster', cluster].map(shellQuoted).join(' ') + ' %f %p';
}

function shellQuoted(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
