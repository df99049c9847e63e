// A throwaway PostgreSQL 15 + PostGIS cluster for tests: initdb as `postgres` (runuser when root)
// with 1 MiB WAL segments, a free port on 127.0.0.1, its unix socket in its directory, WAL
// archived by `archiveCommand` (the test's `meridian pg wal-push %p …`); stop() in afterAll.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { asClusterOwner, pgBinDir } from '../../core/pgTools';
import { freePorts } from '../../worker/freePorts';

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): void {
  const [file, ...args] = asClusterOwner(argv);
  const result = spawnSync(file!, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${argv[0]} exited ${result.status}: ${(result.stderr || String(result.error)).trim().split('\n').pop()}`);
}

/** Makes `dir` and owns it by `postgres` when we are root. */
export function giveToPostgres(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
}

export class TestCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** A started cluster in `dir` archiving WAL with `archiveCommand`; `env` reaches the archiver (repository and passphrase). */
  static async create(dir: string, archiveCommand: string, env: NodeJS.ProcessEnv): Promise<TestCluster> {
    giveToPostgres(dir);
    run([path.join(pgBinDir(), 'initdb'), '-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '--wal-segsize=1', '-E', 'UTF8', '--locale=C']);
    const [port] = (await freePorts(1)) as [number];
    const settings = { listen_addresses: "'127.0.0.1'", port: String(port), unix_socket_directories: `'${dir}'`, archive_mode: 'on', archive_command: `'${archiveCommand.replaceAll("'", "''")}'`, wal_level: 'replica', fsync: 'off' };
    fs.appendFileSync(path.join(dir, 'postgresql.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
    const cluster = new TestCluster(dir, port);
    run([path.join(pgBinDir(), 'pg_ctl'), '-D', dir, '-w', '-l', path.join(dir, 'server.log'), 'start'], { ...process.env, ...env });
    await cluster.sql((c) => c.query('CREATE EXTENSION postgis'));
    return cluster;
  }

  /** A client of the cluster (or of a restored one on `dir`:`port`) over its unix socket, ended after `use`. */
  async sql<T>(use: (client: Client) => Promise<T>): Promise<T> {
    return withClient(this.dir, this.port, use);
  }

  stop(): void {
    stopCluster(this.dir);
  }
}

export async function withClient<T>(dir: string, port: number, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: dir, port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** pg_ctl stop -m immediate; a cluster that is not running is fine. */
export function stopCluster(dir: string): void {
  const [file, ...args] = asClusterOwner([path.join(pgBinDir(), 'pg_ctl'), '-D', dir, '-m', 'immediate', 'stop']);
  spawnSync(file!, args);
}
