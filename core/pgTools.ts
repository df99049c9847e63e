// The PostgreSQL programs the engine runs (pg_basebackup, pg_controldata, pg_ctl): where they are,
// run as the `postgres` user when we are root (PostgreSQL refuses to run as root), errors one line.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RepositoryError } from './errors.js';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The directory of PostgreSQL's programs: MERIDIAN_PG_BIN, else Debian's newest version, else PATH (''). */
export function pgBinDir(): string {
  if (process.env.MERIDIAN_PG_BIN) return process.env.MERIDIAN_PG_BIN;
  const versions = fs.existsSync(DEBIAN_ROOT) ? fs.readdirSync(DEBIAN_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  return versions[0] ? path.join(DEBIAN_ROOT, versions[0], 'bin') : '';
}

/** argv of a server-side program (pg_ctl), run as `postgres` through runuser when we are root. */
export function asClusterOwner(argv: string[]): string[] {
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
}

/** Runs PostgreSQL's `program` (found in pgBinDir) with `args`; resolves with its stdout, fails naming it and its last stderr line. */
export async function runPg(program: string, args: string[], options: { signal?: AbortSignal; asOwner?: boolean } = {}): Promise<string> {
  const argv = [path.join(pgBinDir(), program), ...args];
  const [file, ...rest] = options.asOwner ? asClusterOwner(argv) : argv;
  return new Promise((resolve, reject) => {
    execFile(file!, rest, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, signal: options.signal, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const last = (stderr || err.message).trim().split('\n').slice(-1)[0];
      reject(new RepositoryError('invalid-argument', `[pg] ${program} failed: ${last}`, { cause: err }));
    });
  });
}

/** Owns `dir` (recursively) by `postgres` when we are root, so the server can run on it. */
export async function giveToClusterOwner(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await new Promise<void>((resolve, reject) => execFile('chown', ['-R', 'postgres:postgres', dir], (err) => (err ? reject(new RepositoryError('invalid-argument', `[pg] cannot give "${dir}" to postgres: ${err.message}`)) : resolve())));
}
