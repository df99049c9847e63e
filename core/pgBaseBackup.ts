// PostgreSQL base backups: pg_basebackup (plain format, no WAL: the WAL archive holds it, fast
// checkpoint) into a temporary directory, backed up as a snapshot of source `pg:<cluster>` tagged
// `pg-base-backup` whose manifest's `pg` field records the cluster and the WAL range the backup
// needs. Each builds on the previous base backup of the cluster, so an unchanged cluster stores little.

import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backup, BackupProgress } from './archiver.js';
import { invalidArgument } from './errors.js';
import { assertClusterName } from './pgCluster.js';
import { dsnPasswordProblem } from './pgDsn.js';
import { runPg } from './pgTools.js';
import { Repository } from './repository.js';
import { listSnapshots, PgBackupInfo, Snapshot, SnapshotStats } from './snapshots.js';
import { parseLsn, segmentName, segmentOfLsn } from './walChain.js';

export type { PgBackupInfo } from './snapshots.js';
export const PG_BACKUP_TAG = 'pg-base-backup';
export type PgBackup = Snapshot & { pg: PgBackupInfo };

export const pgSource = (cluster: string) => `pg:${cluster}`;

export async function pgBaseBackup(
  repo: Repository,
  input: { cluster: string; pgdata?: string; dsn?: string; signal?: AbortSignal; onProgress?: (p: BackupProgress) => void },
): Promise<{ snapshotId: string; info: PgBackupInfo; stats: SnapshotStats }> {
  assertClusterName(input.cluster);
  const problem = input.dsn === undefined ? undefined : dsnPasswordProblem(input.dsn);
  if (problem) throw invalidArgument(`[pg] ${problem}`);
  const dsn = input.dsn ?? (input.pgdata ? await dsnOfRunningCluster(input.pgdata) : undefined);
  if (!dsn) throw invalidArgument('[pg] a base backup needs the cluster\'s data directory (--pgdata) or a connection URL (--dsn)');
  const staging = await fsp.mkdtemp(path.join(os.tmpdir(), 'meridian-pg-'));
  try {
    const dir = path.join(staging, 'data');
    const startedAt = new Date();
    await runPg('pg_basebackup', ['-d', dsn, '-D', dir, '-Fp', '-X', 'none', '--checkpoint=fast', '--no-sync'], { signal: input.signal });
    const info = await describeBaseBackup(dir, input.cluster, startedAt, new Date());
    const result = await backup(repo, { source: dir, sourceName: pgSource(input.cluster), pg: info, type: 'incremental', tags: [PG_BACKUP_TAG], signal: input.signal, onProgress: input.onProgress });
    return { snapshotId: result.snapshotId, info, stats: result.stats };
  } finally {
    await fsp.rm(staging, { recursive: true, force: true });
  }
}

/** The cluster's base backups, oldest (by the time each ended) first. */
export async function listPgBackups(repo: Repository, cluster: string): Promise<PgBackup[]> {
  const source = pgSource(cluster);
  const backups = (await listSnapshots(repo)).filter((s): s is PgBackup => s.source === source && s.pg !== undefined);
  return backups.sort((a, b) => a.pg.stopTime.localeCompare(b.pg.stopTime) || a.id.localeCompare(b.id));
}

/** A connection to the cluster running on `pgdata`, over its unix socket (postmaster.pid names port and socket directory). */
async function dsnOfRunningCluster(pgdata: string): Promise<string> {
  const pid = await fsp.readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => {
    throw invalidArgument(`[pg] no PostgreSQL is running on "${pgdata}" (no postmaster.pid)`);
  });
  const lines = pid.split('\n');
  const port = lines[3]?.trim();
  const socketDir = lines[4]?.trim() || '/var/run/postgresql';
  if (!port) throw invalidArgument(`[pg] "${pgdata}/postmaster.pid" names no port`);
  const user = process.env.PGUSER ?? 'postgres';
  return `postgresql://${encodeURIComponent(user)}@/postgres?host=${encodeURIComponent(socketDir)}&port=${port}`;
}

/** The facts a restore needs, read from the backup's backup_label, backup_manifest, pg_control and PG_VERSION. */
async function describeBaseBackup(dir: string, cluster: string, startedAt: Date, stoppedAt: Date): Promise<PgBackupInfo> {
  const label = await fsp.readFile(path.join(dir, 'backup_label'), 'utf8');
  const manifest = JSON.parse(await fsp.readFile(path.join(dir, 'backup_manifest'), 'utf8')) as { 'WAL-Ranges': { Timeline: number; 'Start-LSN': string; 'End-LSN': string }[] };
  const control = await runPg('pg_controldata', ['-D', dir]);
  const field = (text: string, name: string) => {
    const match = new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(text);
    if (!match) throw invalidArgument(`[pg] the base backup has no "${name}"`);
    return match[1]!.trim();
  };
  const start = /^(\S+) \(file ([0-9A-F]{24})\)$/.exec(field(label, 'START WAL LOCATION'));
  const range = manifest['WAL-Ranges'][manifest['WAL-Ranges'].length - 1];
  if (!start || !range) throw invalidArgument('[pg] the base backup\'s WAL range is unreadable');
  const walSegmentSize = Number(field(control, 'Bytes per WAL segment'));
  const stopLsn = range['End-LSN'];
  return {
    cluster,
    systemIdentifier: field(control, 'Database system identifier'),
    pgVersion: Number((await fsp.readFile(path.join(dir, 'PG_VERSION'), 'utf8')).trim()),
    timeline: Number(field(label, 'START TIMELINE')),
    walSegmentSize,
    startWal: start[2]!,
    startLsn: start[1]!,
    // The last segment the backup needs is the one holding the byte before the stop point.
    stopWal: segmentName({ timeline: range.Timeline, segno: segmentOfLsn(parseLsn(stopLsn) - 1n, walSegmentSize) }, walSegmentSize),
    stopLsn,
    startTime: startedAt.toISOString(),
    stopTime: stoppedAt.toISOString(),
  };
}
