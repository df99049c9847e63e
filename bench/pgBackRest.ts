// pgBackRest 2.45 as the PostgreSQL benchmark runs it: one stanza on a repository on local disk,
// zstd, two processes; full and incremental backups, `archive-push` of one segment, and restore
// to a time. WAL reaches its archive through the benchmark's push phase (the same segments as
// Meridian's), so backups run with archive-check=n instead of waiting for archive_command.

import fs from 'node:fs';
import path from 'node:path';
import { CommandSpec } from './measure.js';
import { BenchCluster, giveToPostgres } from './pgCluster.js';

export const STANZA = 'bench';

export class PgBackRest {
  private readonly config: string;

  private constructor(
    work: string,
    readonly repo: string,
    cluster: BenchCluster,
  ) {
    this.config = path.join(work, 'pgbackrest.conf');
    fs.writeFileSync(
      this.config,
      [
        '[global]',
        `repo1-path=${repo}`,
        'repo1-retention-full=10',
        'compress-type=zst',
        'process-max=2',
        'start-fast=y',
        'archive-check=n',
        'log-level-console=warn',
        'log-level-file=off',
        `log-path=${path.join(work, 'pgbackrest-log')}`,
        `lock-path=${path.join(work, 'pgbackrest-lock')}`,
        `spool-path=${path.join(work, 'pgbackrest-spool')}`,
        '',
        `[${STANZA}]`,
        `pg1-path=${cluster.dir}`,
        `pg1-port=${cluster.port}`,
        `pg1-socket-path=${cluster.dir}`,
        'pg1-user=postgres',
        '',
      ].join('\n'),
    );
  }

  /** The configuration in `work`, its log, lock and spool directories owned by `postgres` (archive-get runs as the restored cluster's user). */
  static async create(work: string, repo: string, cluster: BenchCluster): Promise<PgBackRest> {
    for (const dir of ['log', 'lock', 'spool']) await giveToPostgres(path.join(work, `pgbackrest-${dir}`));
    return new PgBackRest(work, repo, cluster);
  }

  private command(args: string[]): CommandSpec {
    return { argv: ['pgbackrest', `--config=${this.config}`, `--stanza=${STANZA}`, ...args] };
  }

  stanzaCreate(): CommandSpec {
    return this.command(['stanza-create']);
  }

  backup(type: 'full' | 'incr'): CommandSpec {
    return this.command([`--type=${type}`, 'backup']);
  }

  archivePush(segment: string): CommandSpec {
    return this.command(['archive-push', segment]);
  }

  /** The newest backup before `target`, restored into the empty `targetDir`, recovery set to stop at `target` and promote. */
  restoreToTime(targetDir: string, target: Date): CommandSpec {
    return this.command([`--pg1-path=${targetDir}`, '--type=time', `--target=${target.toISOString().replace('T', ' ').replace('Z', '+00')}`, '--target-action=promote', 'restore']);
  }
}
