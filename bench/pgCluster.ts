// A throwaway PostgreSQL 15 cluster for the PostgreSQL benchmark: initdb and pg_ctl as the
// `postgres` user (runuser when we are root), its own free port on 127.0.0.1 and its unix socket
// in the cluster directory, and SQL through `pg`.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { asClusterOwner, giveToClusterOwner, pgBinDir } from '../core/pgTools.js';
import { freePorts } from '../worker/freePorts.js';

export function runChecked(argv: string[], env: NodeJS.ProcessEnv = process.env): string {
  const run = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${argv.join(' ')} exited ${run.status}: ${(run.stderr || run.stdout || String(run.error)).trim().split('\n').slice(-3).join(' | ')}`);
  return run.stdout;
}

/** Makes `dir` and owns it by `postgres` (a cluster, or a repository its restore_command reads). */
export async function giveToPostgres(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await giveToClusterOwner(dir);
}

export class BenchCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** initdb (16 MiB WAL segments, PostgreSQL's default) and start with `settings` in postgresql.conf. */
  static async create(dir: string, settings: Record<string, string>): Promise<BenchCluster> {
    await giveToPostgres(dir);
    runChecked(asClusterOwner([path.join(pgBinDir(), 'initdb'), '-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']));
    const [port] = (await freePorts(1)) as [number];
    const cluster = new BenchCluster(dir, port);
    cluster.appendSettings({ listen_addresses: "'127.0.0.1'", port: String(port), unix_socket_directories: `'${dir}'`, ...settings });
    cluster.start();
    return cluster;
  }

  /** A restored cluster in `dir`, started on a free port (its settings come with the restore). */
  static async adopt(dir: string): Promise<BenchCluster> {
    const [port] = (await freePorts(1)) as [number];
    return new BenchCluster(dir, port);
  }

  appendSettings(settings: Record<string, string>): void {
    fs.appendFileSync(path.join(this.dir, 'postgresql.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
  }

  start(): void {
    runChecked(asClusterOwner([path.join(pgBinDir(), 'pg_ctl'), '-D', this.dir, '-w', '-t', '600', '-l', path.join(this.dir, 'server.log'), '-o', `-p ${this.port} -k ${this.dir}`, 'start']));
  }

  stop(): void {
    const argv = asClusterOwner([path.join(pgBinDir(), 'pg_ctl'), '-D', this.dir, '-m', 'immediate', 'stop']);
    spawnSync(argv[0]!, argv.slice(1));
  }

  /** Runs `use` with a connected client (over the unix socket). */
  async sql<T>(use: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ host: this.dir, port: this.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  }
}
