// How the CLI reaches Temporal: settings from the environment, the SDK runtime (its logs go to
// stderr, never stdout), the embedded dev server kept under MERIDIAN_HOME when TEMPORAL_ADDRESS
// is unset, connections, and Meridian workers.

import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import type { LogEntry, NativeConnection, Worker } from '@temporalio/worker';
import type { RepositoryResolver } from '../activities/index.js';
import type { DevServer } from '../worker/devServer.js';
import { meridianHome } from '../worker/repositories.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared.js';
import { CliError, EXIT, unavailableError } from './exitCodes.js';
import { notice } from './output.js';

export interface TemporalSettings {
  /** TEMPORAL_ADDRESS; undefined selects the embedded dev server. */
  address?: string;
  namespace: string;
  taskQueue: string;
  home: string;
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  return {
    address: env.TEMPORAL_ADDRESS || undefined,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.MERIDIAN_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    home: meridianHome(env),
  };
}

/**
 * Runs `body` with the SDK runtime installed (before any worker connection exists), and shuts
 * the runtime down after: left installed without a worker, it keeps the process alive after an
 * error (and, for a service, swallows SIGTERM). A `service` (worker, server) shuts its workers
 * down on SIGINT/SIGTERM and logs every warning; an `operation` keeps its in-process worker alive
 * on Ctrl-C (which cancels the workflow instead) and leaves the report of its workflow's failure
 * to the CLI's own one-line error.
 */
export async function withRuntime<T>(mode: 'service' | 'operation', body: () => Promise<T>): Promise<T> {
  // The worker SDK is loaded only where a worker runs: a pure client starts faster without it.
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  const log = (entry: LogEntry) => {
    if (mode === 'operation' && reportedByTheCli(entry)) return;
    const error = entry.meta?.error instanceof Error ? `: ${entry.meta.error.message}` : '';
    process.stderr.write(`meridian: [temporal ${entry.level.toLowerCase()}] ${entry.message}${error}\n`);
  };
  const runtime = Runtime.install({
    logger: new DefaultLogger('WARN', log),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
    ...(mode === 'operation' ? { shutdownSignals: [] } : {}),
  });
  try {
    return await body();
  } finally {
    await runtime.shutdown(); // a no-op when closing the last connection has shut it down already
  }
}

/** The in-process worker runs only this operation, whose failure the CLI reports itself. */
function reportedByTheCli(entry: LogEntry): boolean {
  if (entry.message === 'Workflow failed') return true;
  const error = entry.meta?.error;
  return entry.message === 'Activity failed' && error instanceof ApplicationFailure && error.nonRetryable === true;
}

/** Starts, or reuses, the local dev server whose state lives in MERIDIAN_HOME (with its Web UI). */
export async function startEmbeddedServer(home: string): Promise<DevServer> {
  let server: DevServer;
  try {
    const { startDevServer } = await import('../worker/devServer.js');
    server = await startDevServer({ stateDir: home, ui: true });
  } catch (err) {
    throw new CliError(EXIT.unavailable, embeddedServerFailure(home, err), { cause: err });
  }
  if (!server.reused) {
    const ui = server.uiAddress ? `, Web UI ${server.uiAddress}` : '';
    notice(`started a local Temporal dev server at ${server.address}${ui}; its state is kept in ${home}`);
  }
  return server;
}

/**
 * One line: why the server did not start (the last line of its log, which the error ends with),
 * where its database and log are, and how to start afresh when the database is damaged.
 */
function embeddedServerFailure(home: string, err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((line) => line.trim()).filter(Boolean);
  const why = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : (lines[0] ?? 'unknown error');
  const db = path.join(home, 'temporal.db');
  return (
    `cannot start the embedded Temporal dev server: ${why} (log: ${path.join(home, 'temporal.log')}; database: ${db}). ` +
    `If the database is damaged, move it away (mv ${db} ${db}.broken) and run again: the history of past operations is lost, repositories are not touched.`
  );
}

export interface TemporalConnections {
  client: Client;
  /** A Meridian worker on `taskQueue` that opens repositories through `repositories`. */
  createWorker(taskQueue: string, repositories: RepositoryResolver): Promise<Worker>;
  close(): Promise<void>;
}

/** A client of the server at `address`; workers get a native connection, opened when first needed. */
export async function connectTemporal(address: string, namespace: string): Promise<TemporalConnections> {
  const unreachable = (err: unknown) => unavailableError(`cannot reach Temporal at ${address}`, err);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 10_000 });
  } catch (err) {
    throw unreachable(err);
  }
  let workerConnection: NativeConnection | undefined;
  return {
    client: new Client({ connection, namespace }),
    async createWorker(taskQueue, repositories) {
      const [{ NativeConnection }, { createMeridianWorker }] = await Promise.all([import('@temporalio/worker'), import('../worker/createWorker.js')]);
      workerConnection ??= await NativeConnection.connect({ address }).catch((err: unknown) => {
        throw unreachable(err);
      });
      return createMeridianWorker({ connection: workerConnection, namespace, taskQueue, deps: { repositories } });
    },
    async close() {
      await workerConnection?.close();
      await connection.close();
    },
  };
}
