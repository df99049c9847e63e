// The fast path of `meridian pg wal-push PATH` / `pg wal-fetch NAME PATH` (bin/meridian.js loads
// it before anything else): node: modules only, it hands the request to `meridian pg wal-daemon`
// over its Unix socket, naming the cluster and repository direct mode would use (the daemon refuses
// others). Exit codes are direct mode's; 'fallback' when no daemon answers.

import { promises as fs } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readMessages, sendMessage, type WalMessage } from './walProtocol.js';

type Outcome = number | 'fallback';

/** The socket to use for `args` (after `pg`), when they are a wal-push/wal-fetch and one is configured. */
export function walSocketOf(args: string[]): string | undefined {
  if (args[0] !== 'pg' || (args[1] !== 'wal-push' && args[1] !== 'wal-fetch')) return undefined;
  return parsed(args.slice(2))?.values.socket ?? (process.env.MERIDIAN_WAL_SOCKET || undefined);
}

/** Runs `args` (after `pg`) through the daemon at `socketPath`. */
export async function runWalClient(args: string[], socketPath: string): Promise<Outcome> {
  const given = parsed(args.slice(1));
  if (!given) return 'fallback'; // direct mode explains the usage error
  const target = walTarget(given.values);
  if (args[0] === 'wal-push' && given.positionals.length === 1) return push(socketPath, target, given.positionals[0]!);
  if (args[0] === 'wal-fetch' && given.positionals.length === 2) return fetch(socketPath, target, given.positionals[0]!, given.positionals[1]!);
  return 'fallback';
}

/** What the daemon must serve for this request: direct mode's cluster (default main) and the repository named, if any, with the directory a relative path is relative to. */
type WalTarget = { cluster: string; repo?: string; cwd?: string };

function walTarget(values: { cluster?: string; repo?: string }): WalTarget {
  const cluster = values.cluster ?? (process.env.MERIDIAN_PG_CLUSTER || 'main');
  const repo = values.repo ?? (process.env.MERIDIAN_REPOSITORY || undefined);
  return repo === undefined ? { cluster } : { cluster, repo, cwd: process.cwd() };
}

async function push(socketPath: string, target: WalTarget, file: string): Promise<Outcome> {
  const name = path.basename(file);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    return fail(`cannot read ${file}: ${(err as Error).message}`, 1);
  }
  const reply = await request(socketPath, { op: 'push', ...target, name }, bytes);
  if (reply === 'fallback') return reply;
  if (typeof reply === 'string') return fail(reply, 4);
  if (reply.header.outcome !== 'stored' && reply.header.outcome !== 'already-stored') return fail(String(reply.header.error ?? 'no outcome from wal-daemon'), 1);
  process.stdout.write(`${name}: ${reply.header.outcome}\n`);
  return 0;
}

async function fetch(socketPath: string, target: WalTarget, name: string, destination: string): Promise<Outcome> {
  const reply = await request(socketPath, { op: 'fetch', ...target, name });
  if (reply === 'fallback') return reply;
  if (typeof reply === 'string') return fail(reply, 126);
  if (reply.header.missing === true) return 1;
  if (!reply.bytes) return fail(String(reply.header.error ?? 'no content from wal-daemon'), 126);
  try {
    // Written beside PATH and renamed: recovery never reads a partly written file.
    const temp = `${destination}.meridian-tmp`;
    await fs.writeFile(temp, reply.bytes);
    await fs.rename(temp, destination);
    return 0;
  } catch (err) {
    return fail(`cannot write ${destination}: ${(err as Error).message}`, 126);
  }
}

/** One request and its reply; 'fallback' when nothing listens, a string when the exchange broke. */
function request(socketPath: string, header: Record<string, unknown>, bytes?: Buffer): Promise<WalMessage | 'fallback' | string> {
  // Loaded here: bin/meridian.js loads this file for every command, and node:net takes ~15 ms.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createConnection } = require('node:net') as typeof net;
  return new Promise((resolve) => {
    let connected = false;
    const socket = createConnection(socketPath, () => {
      connected = true;
      sendMessage(socket, header, bytes);
    });
    readMessages(socket, (reply) => {
      resolve(reply);
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      resolve(!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') ? 'fallback' : `wal-daemon at ${socketPath}: ${err.message}`);
    });
    socket.on('close', () => resolve(`wal-daemon at ${socketPath} closed the connection without a reply`));
  });
}

function parsed(args: string[]) {
  try {
    const options = { socket: { type: 'string' }, cluster: { type: 'string' }, repo: { type: 'string' }, 'password-file': { type: 'string' }, config: { type: 'string' } } as const;
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch {
    return undefined;
  }
}

function fail(message: string, code: number): number {
  process.stderr.write(`meridian: ${message}\n`);
  return code;
}
