// Meridian's side of the PostgreSQL benchmark as commands the benchmark times like pgBackRest's:
// base backups and restore-to-a-time through the engine (bench/engineCommand.js pg-backup |
// pg-restore, no Temporal), and `meridian pg wal-push`, as archive_command runs it, per segment.

import path from 'node:path';
import { CommandSpec } from './measure.js';
import { BENCH_PASSWORD, engineCommand } from './tools.js';

export const PG_CLUSTER = 'bench';

const meridianCli = path.join(__dirname, '..', '..', 'bin', 'meridian.js');

export function meridianInit(repo: string): CommandSpec {
  return { argv: [meridianCli, 'init', '--repo', repo], env: { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD } };
}

/** A base backup of the cluster listening on `socketDir`:`port`. */
export function meridianPgBackup(repo: string, socketDir: string, port: number): CommandSpec {
  return engineCommand(['pg-backup', repo, PG_CLUSTER, `postgresql://postgres@/postgres?host=${encodeURIComponent(socketDir)}&port=${port}`]);
}

/** The restore_command a restored cluster fetches WAL with (MERIDIAN_PASSWORD reaches it through the environment pg_ctl passes on). */
export function meridianRestoreCommand(repo: string): string {
  return `${meridianCli} pg wal-fetch %f %p --repo ${repo} --cluster ${PG_CLUSTER}`;
}

/** The newest base backup before `target` restored into `targetDir`, started on `port`, recovery waited for. */
export function meridianPgRestore(repo: string, target: Date, targetDir: string, port: number): CommandSpec {
  return engineCommand(['pg-restore', repo, PG_CLUSTER, target.toISOString(), targetDir, String(port), meridianRestoreCommand(repo)]);
}

/** `meridian pg wal-push SEGMENT` as archive_command runs it (cold start, or a worker's socket when one answers). */
export function meridianWalPush(repo: string, segment: string, extraEnv: NodeJS.ProcessEnv = {}): CommandSpec {
  return { argv: [meridianCli, 'pg', 'wal-push', segment, '--repo', repo, '--cluster', PG_CLUSTER], env: { ...process.env, MERIDIAN_PASSWORD: BENCH_PASSWORD, ...extraEnv } };
}
