// `meridian pg wal-daemon`: opens the repository once and serves wal-push/wal-fetch requests of
// cli/walClient.ts on a Unix socket (mode 0600), concurrently, until SIGTERM or SIGINT. The client
// sends the segment's bytes, so the daemon needs no access to pg_wal; the passphrase stays here.
// A request naming another cluster or repository than the daemon's is refused, never served here.
// A key rotation of the repository makes the daemon read its keys again (DaemonRepository).

import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fetchWal, pushWal } from '../core/walArchive.js';
import { ConcurrentChangeError } from '../core/errors.js';
import { Repository } from '../core/repository.js';
import { clusterOption, expectPositionals, parseCommand, repositoryPassphrase, repositoryUrl } from './args.js';
import { EXIT, ExitCode, usageError } from './exitCodes.js';
import { notice } from './output.js';
import { withRepository } from './repositoryAccess.js';
import { repositoryLocationKey } from '../storage/open.js';
import { defaultWalSocket, readMessages, sendMessage, type WalMessage } from './walProtocol.js';

export async function walDaemon(args: string[]): Promise<ExitCode> {
  const { values, positionals, from } = parseCommand('pg', args);
  expectPositionals('pg', positionals, [], 0);
  const url = repositoryUrl('pg', values.repo, from('repo'));
  const cluster = clusterOption(values.cluster);
  const socketPath = values.socket ?? defaultWalSocket();
  const passphrase = repositoryPassphrase(url, values['password-file']);
  await withRepository(url, passphrase, async (opened) => {
    const repo = new DaemonRepository(opened, passphrase);
    const server = await listen(socketPath, (socket) => serve(repo, { cluster, url }, socket));
    notice(`wal-daemon: cluster ${cluster} listening on ${socketPath}`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    // Stops accepting; requests in flight finish (a push replies only once stored) before the repository closes.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return EXIT.ok;
}

/** Listens on `socketPath` with mode 0600, replacing a stale socket file but never a live daemon's. */
async function listen(socketPath: string, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  if (await answers(socketPath)) throw usageError(`a wal-daemon already listens on ${socketPath}`);
  await fs.rm(socketPath, { force: true });
  const server = net.createServer(onConnection);
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  await fs.chmod(socketPath, 0o600);
  return server;
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createConnection(socketPath, () => {
      probe.end();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
}

/** The cluster and repository (its URL or configured name) this daemon serves. */
interface Served {
  cluster: string;
  url: string;
}

/**
 * The daemon's repository. A request that fails after a key rotation began (a push is refused
 * rather than sealed under the retired key; a fetch of a segment sealed under the new key cannot
 * open) is run once more on the repository opened again, with the new keys.
 */
class DaemonRepository {
  constructor(
    private repo: Repository,
    private readonly passphrase: string | undefined,
  ) {}

  async run<T>(request: (repo: Repository) => Promise<T>): Promise<T> {
    try {
      return await request(this.repo);
    } catch (err) {
      const rotated = await this.repo.assertKeysCurrent().then(
        () => false,
        (check: unknown) => check instanceof ConcurrentChangeError,
      );
      if (!rotated) throw err;
      this.repo = await Repository.open(this.repo.storage, this.passphrase);
      return await request(this.repo);
    }
  }
}

function serve(repo: DaemonRepository, served: Served, socket: net.Socket): void {
  socket.on('error', () => socket.destroy());
  readMessages(socket, (message) => {
    handle(repo, served, message).then(
      (reply) => sendMessage(socket, reply.header, reply.bytes),
      (err: unknown) => sendMessage(socket, { error: firstLine(err) }),
    );
  });
}

async function handle(repo: DaemonRepository, served: Served, { header, bytes }: WalMessage): Promise<WalMessage> {
  const { cluster } = served;
  if (header.cluster !== cluster) throw new Error(`this wal-daemon serves cluster ${cluster}, not ${String(header.cluster)}; start one for that cluster or pass the same --cluster`);
  if (header.repo !== undefined && !servesRepository(served.url, String(header.repo), String(header.cwd ?? '/'))) {
    throw new Error(`this wal-daemon serves another repository than ${String(header.repo)}; start one for it or pass the daemon's --repo`);
  }
  const walName = String(header.name);
  if (header.op === 'push' && bytes) return { header: { outcome: await repo.run((current) => pushWal(current, { cluster, walName, bytes })) } };
  if (header.op === 'fetch') {
    const found = await repo.run((current) => fetchWal(current, { cluster, walName }));
    return found ? { header: {}, bytes: Buffer.from(found) } : { header: { missing: true } };
  }
  throw new Error(`unknown wal-daemon request '${String(header.op)}'`);
}

/** Whether `asked` (as the client was given it, a relative path being relative to `cwd`) is the repository at `url`. */
function servesRepository(url: string, asked: string, cwd: string): boolean {
  if (asked === url) return true;
  const resolved = /^[a-z][a-z0-9+]*:\/\//i.test(asked) ? asked : path.resolve(cwd, asked);
  try {
    return repositoryLocationKey(resolved) === repositoryLocationKey(url);
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
