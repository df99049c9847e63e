// PostgreSQL restore to a time: plan (the newest base backup that ended by the target, and the
// interval the base backups and the archived WAL cover), restore that backup into an empty
// directory set up for archive recovery up to the target, and start it and wait until recovery
// reached the target (PostgreSQL ending recovery before the target is an error, not a success).

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepositoryError, invalidArgument } from './errors.js';
import { listPgBackups, PgBackup, PgBackupInfo } from './pgBaseBackup.js';
import { giveToClusterOwner, runPg } from './pgTools.js';
import { Repository } from './repository.js';
import { ArchivedWal, listWal } from './walArchive.js';
import { checkWalChain } from './walChain.js';
import { restore, RestoreProgress } from './restorer.js';

const RECOVERY_LOG = 'meridian-recovery.log';
const ENDED_EARLY = 'recovery ended before configured recovery target was reached';

export async function planPgRestore(repo: Repository, input: { cluster: string; targetTime: Date }): Promise<{ backup: PgBackup; covered: { from: string; until: string } }> {
  if (Number.isNaN(input.targetTime.getTime())) throw invalidArgument('[pg] the target time is not a valid date');
  const backups = await listPgBackups(repo, input.cluster);
  const first = backups[0];
  if (!first) throw new RepositoryError('not-found', `[pg] cluster "${input.cluster}" has no base backup`);
  const archived = await listWal(repo, input.cluster);
  const newestWal = archived.reduce<Date | undefined>((newest, w) => (!newest || w.pushedAt > newest ? w.pushedAt : newest), undefined);
  const covered = { from: first.pg.stopTime, until: newestWal?.toISOString() ?? first.pg.stopTime };
  const target = input.targetTime.toISOString();
  if (target < covered.from || target > covered.until) {
    throw new RepositoryError('not-found', `[pg] ${target} is outside what cluster "${input.cluster}" can be restored to: ${covered.from} to ${covered.until} (base backups and archived WAL)`);
  }
  const backup = backups.filter((b) => b.pg.stopTime <= target).pop()!;
  await refuseGapBefore(repo, input.cluster, backup, target, archived);
  return { backup, covered };
}

/**
 * Refuses a target that a missing WAL segment after the base backup may stand before: one later
 * than when the segment before the gap was stored. (A target before that may still need the
 * missing segment if it was stored late; then PostgreSQL ends recovery short of the target, and
 * startRecoveredCluster reports that.)
 */
async function refuseGapBefore(repo: Repository, cluster: string, backup: PgBackup, target: string, archived: ArchivedWal[]): Promise<void> {
  const { gaps } = await checkWalChain(repo, cluster, [backup.pg.startWal], { walSegmentSize: backup.pg.walSegmentSize });
  const gap = gaps[0];
  if (!gap) return;
  const before = archived.find((w) => w.walName === gap.after && gap.after !== gap.missing);
  if (before && target <= before.pushedAt.toISOString()) return;
  const missing = gap.through ? `${gap.missing} to ${gap.through} are` : `${gap.missing} is`;
  throw new RepositoryError('not-found', `[pg] cannot restore cluster "${cluster}" to ${target}: archived WAL segment ${missing} missing after base backup ${backup.id.slice(0, 8)}${before ? ` (restorable until ${before.pushedAt.toISOString()}, when ${gap.after} was stored)` : ''}`);
}

export async function restorePg(
  repo: Repository,
  input: { cluster: string; targetTime: Date; targetDir: string; targetAction: 'promote' | 'pause'; restoreCommand: string; signal?: AbortSignal; onProgress?: (p: RestoreProgress) => void },
): Promise<{ snapshotId: string; backup: PgBackupInfo; targetTime: string }> {
  if (!input.restoreCommand.includes('%p')) throw invalidArgument('[pg] the restore command must contain %p (where PostgreSQL wants the segment)');
  const { backup } = await planPgRestore(repo, input);
  await assertEmptyDirectory(input.targetDir);
  await restore(repo, backup.id, { target: input.targetDir, signal: input.signal, onProgress: input.onProgress });
  await fsp.mkdir(path.join(input.targetDir, 'pg_wal'), { recursive: true });
  await fsp.writeFile(path.join(input.targetDir, 'recovery.signal'), '');
  const targetTime = input.targetTime.toISOString();
  const settings = {
    restore_command: input.restoreCommand,
    // PostgreSQL reads '2026-11-30 19:42:42.770+00', not the 'T…Z' form.
    recovery_target_time: `${targetTime.replace('T', ' ').replace('Z', '')}+00`,
    recovery_target_action: input.targetAction,
    recovery_target_inclusive: 'true',
    recovery_target_timeline: 'current',
    // The copy keeps the source's archive_command: once promoted it would push its new timeline's
    // WAL and .history into the source cluster's archive. It archives nothing until told to.
    archive_mode: 'off',
  };
  const lines = Object.entries(settings).map(([name, value]) => `${name} = '${value.replaceAll("'", "''")}'\n`);
  await fsp.appendFile(path.join(input.targetDir, 'postgresql.auto.conf'), `# meridian pg restore to ${targetTime} from base backup ${backup.id}\n${lines.join('')}`);
  return { snapshotId: backup.id, backup: backup.pg, targetTime };
}

async function assertEmptyDirectory(dir: string): Promise<void> {
  const entries = await fsp.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw invalidArgument(`[pg] cannot restore into "${dir}": ${err.message}`);
  });
  if (entries.length > 0) throw invalidArgument(`[pg] cannot restore into "${dir}": it is not empty`);
}

/**
 * Starts the restored cluster in `targetDir` on `port` (unix socket in `targetDir`) and waits until
 * recovery reached its target: promoted, or paused there. Recovery that ended before the target
 * (the archived WAL does not reach it) fails naming it. On any failure, the timeout or `signal`
 * included, the server is stopped (fast) before the error is thrown.
 */
export async function startRecoveredCluster(input: { targetDir: string; port: number; timeoutMs: number; signal?: AbortSignal }): Promise<{ reachedTarget: true; recoveryEndedAt: string }> {
  const dir = path.resolve(input.targetDir);
  await fsp.chmod(dir, 0o700);
  await giveToClusterOwner(dir);
  const log = path.join(dir, RECOVERY_LOG);
  try {
    try {
      await runPg('pg_ctl', ['-D', dir, '-l', log, '-w', '-t', String(Math.ceil(input.timeoutMs / 1000)), '-o', `-p ${input.port} -k ${dir}`, 'start'], { asOwner: true, signal: input.signal });
    } catch (err) {
      throw (await recoveryFailure(log, { stopped: true })) ?? err;
    }
    return await waitForTarget(dir, log, { ...input, deadline: Date.now() + input.timeoutMs });
  } catch (err) {
    await runPg('pg_ctl', ['-D', dir, '-m', 'fast', '-w', 'stop'], { asOwner: true }).catch(() => undefined);
    throw err;
  }
}

async function waitForTarget(dir: string, log: string, input: { port: number; timeoutMs: number; deadline: number; signal?: AbortSignal }): Promise<{ reachedTarget: true; recoveryEndedAt: string }> {
  let lastProbe = 'no answer yet';
  for (;;) {
    input.signal?.throwIfAborted();
    const stopped = !(await serverRunning(dir));
    const failure = await recoveryFailure(log, { stopped });
    if (failure) throw failure;
    if (stopped) throw new RepositoryError('integrity', `[pg] recovery failed: PostgreSQL stopped (its log: ${log})`);
    try {
      const state = await recoveryState(dir, input.port);
      if (state.reached) return { reachedTarget: true, recoveryEndedAt: state.lastReplayed ?? new Date().toISOString() };
      lastProbe = 'still replaying';
    } catch (err) {
      lastProbe = (err as Error).message;
    }
    if (Date.now() > input.deadline) throw new RepositoryError('not-found', `[pg] recovery in "${dir}" did not reach its target within ${input.timeoutMs} ms (last probe: ${lastProbe})`);
    await sleep(200, undefined, { signal: input.signal });
  }
}

async function serverRunning(dir: string): Promise<boolean> {
  return runPg('pg_ctl', ['-D', dir, 'status'], { asOwner: true }).then(
    () => true,
    () => false,
  );
}

/**
 * The error to report when the server's log says recovery ended before its target, or, once the
 * server has stopped, its last FATAL or PANIC line; undefined otherwise. A running server's FATAL
 * lines are refused connections (the probe's among them), not failed recovery.
 */
async function recoveryFailure(log: string, server: { stopped: boolean }): Promise<RepositoryError | undefined> {
  const text = await fsp.readFile(log, 'utf8').catch(() => '');
  if (text.includes(ENDED_EARLY)) return new RepositoryError('not-found', `[pg] ${ENDED_EARLY}: the archived WAL does not reach the target time`);
  if (!server.stopped) return undefined;
  const fatal = [...text.matchAll(/(?:FATAL|PANIC):\s+(.*)/g)].pop();
  return fatal ? new RepositoryError('integrity', `[pg] recovery failed: ${fatal[1]}`) : undefined;
}

/** Whether recovery is over or paused at its target, asked as $PGUSER (default postgres, the role pg backup connects as too). */
async function recoveryState(dir: string, port: number): Promise<{ reached: boolean; lastReplayed?: string }> {
  // Loaded on first use: a worker that restores no PostgreSQL cluster does not hold pg (~15 MiB alone).
  const { Client } = await import('pg');
  const client = new Client({ host: dir, port, user: process.env.PGUSER ?? 'postgres', database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ recovering: boolean; pause: string | null; last: Date | null }>(
      "SELECT pg_is_in_recovery() AS recovering, CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END AS pause, pg_last_xact_replay_timestamp() AS last",
    );
    const row = rows[0]!;
    return { reached: !row.recovering || row.pause === 'paused', lastReplayed: row.last?.toISOString() };
  } finally {
    await client.end();
  }
}
