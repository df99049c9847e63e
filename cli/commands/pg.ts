// `meridian pg backup|restore|verify|wal-push|wal-fetch|wal-daemon`: PostgreSQL point-in-time recovery. backup,
// restore and verify run the pg-backup, pg-restore and pg-verify workflows; wal-push and wal-fetch, PostgreSQL's
// archive_command and restore_command, are cli/pgWal.ts (direct) and cli/walDaemon.ts (the daemon they use).

import path from 'node:path';
import { clusterOption, expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl, requireOption } from '../args.js';
import { EXIT, ExitCode, usageError } from '../exitCodes.js';
import { dsnPasswordProblem } from '../../core/pgDsn.js';
import { runOperation } from '../operation.js';
import { count, formatBytes, formatDuration, printJson, printLines, shortId } from '../output.js';
import { zonedTimeOption } from '../timeArgs.js';
import { PG_TARGET_ACTIONS, PgTargetAction } from '../../workflows/pointInTime.js';

type PgValues = ReturnType<typeof parseCommand<'pg'>>['values'];

export async function run(args: string[]): Promise<ExitCode> {
  const [subcommand, ...rest] = args;
  if (subcommand === 'wal-push') return (await import('../pgWal.js')).walPush(rest);
  if (subcommand === 'wal-fetch') return (await import('../pgWal.js')).walFetch(rest);
  if (subcommand === 'wal-daemon') return (await import('../walDaemon.js')).walDaemon(rest);
  const { values, positionals, from } = parseCommand('pg', args);
  const [action] = expectPositionals('pg', positionals, ['backup|restore|verify'], 1);
  const cluster = clusterOption(values.cluster);
  const repo = repositoryUrl('pg', values.repo, from('repo'));
  const passphrase = repositoryPassphrase(repo, values['password-file']);
  if (action === 'backup') return backup(repo, cluster, values, passphrase);
  if (action === 'restore') return restore(repo, cluster, values, passphrase);
  if (action === 'verify') return verify(repo, cluster, values, passphrase);
  throw usageError(`unknown pg action '${action}'; see 'meridian help pg'`);
}

async function backup(repo: string, cluster: string, values: PgValues, passphrase: string | undefined): Promise<ExitCode> {
  if ((values.pgdata === undefined) === (values.dsn === undefined)) throw usageError("pg backup takes one of --pgdata and --dsn; see 'meridian help pg'");
  const problem = values.dsn === undefined ? undefined : dsnPasswordProblem(values.dsn);
  if (problem) throw usageError(`pg backup --dsn: ${problem}`);
  const input = { repo, cluster, ...(values.pgdata !== undefined ? { pgdata: path.resolve(values.pgdata) } : { dsn: values.dsn! }) };
  const { workflowId, result: r } = await runOperation('pg-backup', input, { passphrase });
  if (values.json) {
    printJson({ ...r, workflowId });
  } else {
    printLines(
      `base backup ${shortId(r.snapshotId)} of cluster ${cluster} (PostgreSQL ${r.pg.pgVersion}, timeline ${r.pg.timeline}, WAL ${r.pg.startWal} to ${r.pg.stopWal}): ` +
        `${count(r.files, 'file')}, ${formatBytes(r.bytes)}, ${formatBytes(r.bytesAdded)} added in ${formatDuration(r.durationMs)}`,
    );
  }
  return EXIT.ok;
}

async function restore(repo: string, cluster: string, values: PgValues, passphrase: string | undefined): Promise<ExitCode> {
  const targetTime = zonedTimeOption('pg', '--target-time', values['target-time']).toISOString();
  const targetDir = path.resolve(requireOption('pg', '--target-dir', values['target-dir']));
  const input = { repo, cluster, targetTime, targetDir, targetAction: targetAction(values['target-action']), ...(values.start ? { start: { port: port(values.port) } } : {}) };
  const { workflowId, result: r } = await runOperation('pg-restore', input, { passphrase });
  if (values.json) {
    printJson({ ...r, workflowId });
  } else {
    printLines(
      `restored cluster ${cluster} into ${targetDir} from base backup ${shortId(r.snapshotId)} (ended ${r.backup.stopTime}), recovery to ${r.targetTime} configured` +
        (r.recoveryEndedAt ? `; PostgreSQL started on port ${input.start!.port} reached the target at ${r.recoveryEndedAt}` : '; start PostgreSQL on it to replay the WAL up to the target') +
        ` (${formatDuration(r.durationMs)})`,
    );
  }
  return EXIT.ok;
}

async function verify(repo: string, cluster: string, values: PgValues, passphrase: string | undefined): Promise<ExitCode> {
  if (values['dry-run'] && !values.retention) throw usageError('--dry-run applies only with --retention');
  const input = { repo, cluster, ...(values.retention ? { retention: true, dryRun: values['dry-run'] === true } : {}) };
  const { workflowId, result: r } = await runOperation('pg-verify', input, { passphrase });
  if (values.json) {
    printJson({ ...r, workflowId });
  } else {
    const chain = r.newest === undefined ? 'no WAL archived' : `WAL from ${count(r.baseBackups, 'base backup')} to ${r.newest}`;
    printLines(
      `cluster ${cluster}: ${chain}, ${r.ok ? 'no gap' : count(r.gaps.length, 'gap')}`,
      ...r.gaps.map((g) => `  missing ${g.missing}${g.through ? ` through ${g.through}` : ''} (after ${g.after})`),
      ...(r.deleted ? [retentionLine(r.deleted, r.deletedCount ?? r.deleted.length, r.dryRun === true)] : []),
    );
  }
  return r.ok ? EXIT.ok : EXIT.failed;
}

/** "retention deleted 3 WAL files: A, B, C", the names of a long list cut after those the output carries. */
function retentionLine(listed: string[], deleted: number, dryRun: boolean): string {
  const names = listed.length === 0 ? '' : `: ${listed.join(', ')}${deleted > listed.length ? ` and ${deleted - listed.length} more` : ''}`;
  return `retention ${dryRun ? 'would delete' : 'deleted'} ${count(deleted, 'WAL file')}${names}`;
}

function targetAction(value: string | undefined): PgTargetAction {
  if (value === undefined) return 'promote';
  if (!(PG_TARGET_ACTIONS as readonly string[]).includes(value)) throw usageError(`--target-action must be ${PG_TARGET_ACTIONS.join(' or ')}`);
  return value as PgTargetAction;
}

function port(value: string | undefined): number {
  const n = Number(value ?? '5432');
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw usageError(`--port must be a port number (1 to 65535)`);
  return n;
}
