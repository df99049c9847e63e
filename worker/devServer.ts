// Runs the official Temporal dev server (`temporal server start-dev`) for tests, development and
// the CLI's embedded default: start one (ephemeral or persistent), or start-or-reuse one whose
// state lives in a folder (MERIDIAN_HOME), and register Meridian's search attributes on any server.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
// Extensionless on purpose: jest's globalSetup loads this file through plain require, without
// the moduleNameMapper that maps './x.js' to './x.ts' for tests.
import { SEARCH_ATTRIBUTES } from '../workflows/catalog';
import { freePorts } from './freePorts';
import { temporalBinary } from './temporalBinary';
import { isAlive } from './processAlive';
import { ensurePrivateDirectory, makePrivate, withPrivateUmask } from './privateFiles';

const HOST = '127.0.0.1';
const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const INDEXED_VALUE_TYPE_KEYWORD = 2;
/** gRPC status ALREADY_EXISTS */
const GRPC_ALREADY_EXISTS = 6;

export interface DevServerOptions {
  /** SQLite file that persists the server's state; in memory (lost on exit) when omitted. */
  dbFilename?: string;
  /** Frontend gRPC port; 0 or omitted picks a free port. */
  port?: number;
  /** Serve the Web UI (default false: `--headless`). */
  ui?: boolean;
  /** Web UI port when `ui`; 0 or omitted picks a free port. */
  uiPort?: number;
  /**
   * Start or reuse: the server's { pid, address, uiAddress } are kept in `<stateDir>/temporal.json`,
   * a live one is reused, else a detached one starts with `--db-filename <stateDir>/temporal.db`
   * (unless dbFilename is given) and logs to `<stateDir>/temporal.log`.
   */
  stateDir?: string;
  /** Keep the server running after this process exits (default: true with stateDir, else false). */
  detached?: boolean;
  /** How long to wait for the frontend to answer (default 60 s). */
  startTimeoutMs?: number;
}

export interface DevServer {
  /** host:port of the frontend gRPC service */
  address: string;
  /** http://host:port of the Web UI, when it runs */
  uiAddress?: string;
  pid: number;
  /** True when an already running server was reused (stateDir only). */
  reused: boolean;
  /** Stops the server process and waits until it is gone. */
  stop(): Promise<void>;
}

export interface ServerState {
  pid: number;
  address: string;
  uiAddress?: string;
}

/** The Temporal dev server could not be started or reached. */
export class DevServerError extends Error {
  override name = 'DevServerError';
}

/** The server process ended before it answered (a port taken meanwhile, a damaged database…). */
class ServerExitedError extends DevServerError {}

/** Starts a dev server, or with `stateDir` starts or reuses the one recorded there. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  return options.stateDir ? startOrReuse(options.stateDir, options) : launchOnFreePorts(options, undefined);
}

/**
 * Launches the server, and once more on other ports when it ended before it answered: a port found
 * free can be taken by another process before the server binds it, and the server then exits.
 */
async function launchOnFreePorts(options: DevServerOptions, logFile: string | undefined): Promise<DevServer> {
  try {
    return await launch(options, logFile);
  } catch (err) {
    if (!(err instanceof ServerExitedError) || options.port || options.uiPort) throw err;
    return launch(options, logFile);
  }
}

/** A client Connection or a worker NativeConnection: both carry the operator service. */
export type OperatorConnection = Pick<Connection, 'operatorService'>;

/** gRPC statuses of a server that does not let this client register search attributes. */
const GRPC_REFUSALS = new Set([7 /* PERMISSION_DENIED */, 12 /* UNIMPLEMENTED */]);

/**
 * The server refused to list or register search attributes (Temporal Cloud registers them out
 * of band): `missing` are the ones to register by hand, as Keyword.
 */
export class SearchAttributesRefusedError extends Error {
  override name = 'SearchAttributesRefusedError';
  constructor(
    readonly namespace: string,
    readonly missing: string[],
    cause: unknown,
  ) {
    super(
      `Temporal refused to register the search attributes ${missing.join(', ')} on namespace ${namespace} ` +
        `(${cause instanceof Error ? cause.message : String(cause)}): register them by hand as Keyword; ` +
        'until they exist, operations cannot be started there',
      { cause },
    );
  }
}

/**
 * Registers Meridian's Keyword search attributes on `namespace` when they are missing, so a
 * worker runs against any server; returns the names it added. A server that refuses (permission
 * denied, unimplemented) raises SearchAttributesRefusedError.
 */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string): Promise<string[]> {
  const all = Object.values(SEARCH_ATTRIBUTES);
  const refused = (missing: string[], err: unknown) =>
    GRPC_REFUSALS.has((err as { code?: unknown }).code as number) ? new SearchAttributesRefusedError(namespace, missing, err) : err;
  const listed = await connection.operatorService.listSearchAttributes({ namespace }).catch((err: unknown) => {
    throw refused(all, err);
  });
  const existing = listed.customAttributes ?? {};
  const missing = all.filter((name) => !(name in existing));
  for (const name of missing) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [name]: INDEXED_VALUE_TYPE_KEYWORD },
      });
    } catch (err) {
      // Another worker may have added it since we listed.
      if ((err as { code?: unknown }).code !== GRPC_ALREADY_EXISTS) throw refused(missing, err);
    }
  }
  return missing;
}

/**
 * Stops the server recorded in `<stateDir>/temporal.json` and waits until it is gone; resolves
 * with what was recorded, or undefined when no dev server was running there (a stale record is
 * removed). A recorded pid now held by another program is left alone.
 */
export async function stopRecordedServer(stateDir: string): Promise<ServerState | undefined> {
  if (!existsSync(stateDir)) return undefined;
  const stateFile = path.join(stateDir, 'temporal.json');
  const release = await acquireLock(path.join(stateDir, 'temporal.lock'));
  try {
    const state = readState(stateFile);
    if (!state || !isAlive(state.pid) || !isDevServerProcess(state.pid)) {
      rmSync(stateFile, { force: true });
      return undefined;
    }
    await stopPid(state.pid, stateFile);
    return state;
  } finally {
    release();
  }
}

async function startOrReuse(stateDir: string, options: DevServerOptions): Promise<DevServer> {
  ensurePrivateDirectory(stateDir);
  const stateFile = path.join(stateDir, 'temporal.json');
  const dbFilename = options.dbFilename ?? path.join(stateDir, 'temporal.db');
  const logFile = path.join(stateDir, 'temporal.log');
  // Made before the server started private, files made by earlier versions included.
  for (const file of [dbFilename, `${dbFilename}-wal`, `${dbFilename}-shm`, logFile, stateFile]) makePrivate(file);
  const release = await acquireLock(path.join(stateDir, 'temporal.lock'));
  try {
    const state = readState(stateFile);
    if (state && isAlive(state.pid)) {
      try {
        await waitForFrontend(state.address, 5_000, () => (isAlive(state.pid) ? undefined : 'it exited'));
        return { ...state, reused: true, stop: () => stopPid(state.pid, stateFile) };
      } catch {
        // Recorded server no longer answers: stop it if it is a Temporal dev server, then start anew.
        if (isDevServerProcess(state.pid)) await stopPid(state.pid, undefined);
      }
    }
    const launched = await launchOnFreePorts({ ...options, dbFilename, detached: options.detached ?? true }, logFile);
    const { address, uiAddress, pid } = launched;
    writeFileSync(stateFile, JSON.stringify({ pid, address, uiAddress }, null, 2) + '\n', { mode: 0o600 });
    return { ...launched, stop: () => stopPid(pid, stateFile) };
  } finally {
    release();
  }
}

async function launch(options: DevServerOptions, logFile: string | undefined): Promise<DevServer> {
  // Every port is chosen here, together, so that none can collide with another: left to pick
  // its own "random free" HTTP and metrics ports, the server once picked its own frontend port.
  const [freeFrontend, freeUi, httpPort, metricsPort] = await freePorts(4);
  const port = options.port || freeFrontend!;
  const uiPort = options.ui ? options.uiPort || freeUi! : undefined;
  const address = `${HOST}:${port}`;
  const uiAddress = uiPort ? `http://${HOST}:${uiPort}` : undefined;
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--http-port', String(httpPort), '--metrics-port', String(metricsPort), '--log-level', 'error'];
  args.push(...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  for (const name of Object.values(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=Keyword`);

  const detached = options.detached ?? false;
  const logFd = logFile ? openSync(logFile, 'a', 0o600) : undefined;
  // The database (and its -wal and -shm files) are created by the server: 0600 through its umask.
  const child = withPrivateUmask(() =>
    spawn(temporalBinary(), args, {
      detached,
      stdio: ['ignore', logFd ?? (detached ? 'ignore' : 'pipe'), logFd ?? (detached ? 'ignore' : 'pipe')],
    }),
  );
  if (logFd !== undefined) closeSync(logFd);
  let output = '';
  const keep = (data: Buffer) => (output = (output + data.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitReason: string | undefined;
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  child.on('exit', (code, signal) => (exitReason = `it exited with ${signal ?? `code ${code}`}`));
  await new Promise<void>((resolve) => child.once('spawn', resolve).once('error', () => resolve()));
  const pid = child.pid;
  if (spawnError || pid === undefined) {
    throw new DevServerError(`Cannot start the Temporal dev server: ${spawnError?.message ?? 'no process id'}.`);
  }

  // A server owned by this process must not outlive it; a detached one is meant to.
  const killOnExit = () => child.kill('SIGTERM');
  if (detached) child.unref();
  else process.once('exit', killOnExit);

  try {
    await waitForFrontend(address, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, () => exitReason);
    const connection = await Connection.connect({ address });
    try {
      await ensureSearchAttributes(connection, 'default');
    } finally {
      await connection.close();
    }
  } catch (err) {
    await stopPid(pid, undefined);
    process.removeListener('exit', killOnExit);
    const details = (logFile ? tail(logFile) : output).trim();
    const message = err instanceof Error ? err.message : String(err);
    const Failure = err instanceof ServerExitedError ? ServerExitedError : DevServerError;
    throw new Failure(`${message}${details ? `\n${details}` : ''}`, { cause: err });
  }

  return {
    address,
    uiAddress,
    pid,
    reused: false,
    stop: async () => {
      await stopPid(pid, undefined);
      process.removeListener('exit', killOnExit);
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

/** Resolves once the frontend at `address` serves the default namespace; throws after timeoutMs. */
async function waitForFrontend(address: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = exited();
    if (reason) throw new ServerExitedError(`The Temporal dev server at ${address} stopped before it answered: ${reason}.`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (${lastError.message})` : '';
      throw new DevServerError(`The Temporal dev server at ${address} did not answer within ${timeoutMs / 1000} s${why}.`);
    }
    await sleep(200);
  }
}

/** SIGTERM, then SIGKILL after STOP_TIMEOUT_MS; removes stateFile when it still names this pid. */
async function stopPid(pid: number, stateFile: string | undefined): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) signal(pid, 'SIGKILL');
    await sleep(100);
  }
  if (stateFile && readState(stateFile)?.pid === pid) rmSync(stateFile, { force: true });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** True only when the process is known to be a `temporal server start-dev` (Linux /proc). */
function isDevServerProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('start-dev');
  } catch {
    return false;
  }
}

function readState(stateFile: string): ServerState | undefined {
  try {
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as Partial<ServerState>;
    if (typeof state.pid === 'number' && typeof state.address === 'string') return state as ServerState;
  } catch {
    // missing or unreadable: no server recorded
  }
  return undefined;
}

/** An exclusive lock file holding our pid, so that concurrent CLI runs start only one server. */
async function acquireLock(lockFile: string): Promise<() => void> {
  const deadline = Date.now() + 2 * DEFAULT_START_TIMEOUT_MS;
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx', mode: 0o600 });
      return () => rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(tail(lockFile));
    if (holder > 0 && !isAlive(holder)) {
      rmSync(lockFile, { force: true }); // its holder died
      continue;
    }
    if (Date.now() >= deadline) throw new DevServerError(`Timed out waiting for the lock ${lockFile}.`);
    await sleep(200);
  }
}


function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-4000);
  } catch {
    return '';
  }
}
