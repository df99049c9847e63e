// How the CLI reaches Temporal through the SDK: the SDK runtime (its logs go to stderr, never
// stdout), the embedded dev server kept under MERIDIAN_HOME when no address is configured (its
// settings: cli/temporalSettings.ts), connections, and Meridian workers.

import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import type { LogEntry, NativeConnection, Worker } from '@temporalio/worker';
import type { DevServer } from '../worker/devServer.js';
import type { Authority } from '../worker/authority.js';
import type { WorkerConfig } from '../worker/workerConfig.js';
import { CliError, EXIT, unavailableError } from './exitCodes.js';
import { notice } from './output.js';
import { describeTarget, temporalSettings, type TemporalTarget } from './temporalSettings.js';
import { tlsFailure } from './tlsProbe.js';

/**
 * Runs `body` with the SDK runtime installed (before any worker connection exists), and shuts
 * the runtime down after: left installed without a worker, it keeps the process alive after an
 * error (and, for a service, swallows SIGTERM). A `service` (worker, server) shuts its workers
 * down on SIGINT/SIGTERM and logs every warning; an `operation` keeps its in-process worker alive
 * on Ctrl-C (which cancels the workflow instead) and leaves the report of its workflow's failure
 * to the CLI's own one-line error. With `temporalMetricsBind` (metrics.temporalBind) the SDK serves
 * its own worker and client metrics there (GET /metrics), named the Prometheus way: seconds for
 * durations, units as suffixes, `_total` on counters.
 */
export async function withRuntime<T>(mode: 'service' | 'operation', body: () => Promise<T>, temporalMetricsBind?: string): Promise<T> {
  // The worker SDK is loaded only where a worker runs: a pure client starts faster without it.
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  const log = (entry: LogEntry) => {
    if (mode === 'operation' && reportedByTheCli(entry)) return;
    const error = entry.meta?.error instanceof Error ? `: ${entry.meta.error.message}` : '';
    process.stderr.write(`meridian: [temporal ${entry.level.toLowerCase()}] ${entry.message}${error}\n`);
  };
  const runtime = Runtime.install({
    logger: new DefaultLogger('WARN', log),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      ...(temporalMetricsBind ? { metrics: { prometheus: { bindAddress: temporalMetricsBind, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } } : {}),
    },
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
  /** A Meridian worker on `taskQueue` that does what `authority` admits (and serves the replica sets of `workerConfig`). */
  createWorker(taskQueue: string, authority: Authority, workerConfig?: WorkerConfig): Promise<Worker>;
  close(): Promise<void>;
}

/** A client of the server at `target`; workers get a native connection, opened when first needed. */
export async function connectTemporal(target: TemporalTarget, namespace: string): Promise<TemporalConnections> {
  const unreachable = (err: unknown) => unavailableError(`cannot reach Temporal at ${describeTarget(target)}`, withCauses(err));
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...target, connectTimeout: 10_000 });
  } catch (err) {
    throw unreachable((target.tls && (await tlsFailure(target.address, target.tls))) || err);
  }
  let workerConnection: NativeConnection | undefined;
  return {
    client: new Client({ connection, namespace }),
    async createWorker(taskQueue, authority, workerConfig) {
      const [{ NativeConnection }, { createMeridianWorker }, { lockTimingsFromEnv }, { workerCapacityFromEnv }] = await Promise.all([
        import('@temporalio/worker'),
        import('../worker/createWorker.js'),
        import('../worker/lockSettings.js'),
        import('../worker/workerCapacity.js'),
      ]);
      const lockTimings = lockTimingsFromEnv();
      const { maxActivities, encoderThreads } = workerCapacityFromEnv();
      workerConnection ??= await NativeConnection.connect(target).catch((err: unknown) => {
        throw unreachable(err);
      });
      return createMeridianWorker({ connection: workerConnection, namespace, taskQueue, maxActivities, deps: { authority, lockTimings, workerConfig, ...(encoderThreads !== undefined ? { encoderThreads } : {}) } });
    },
    async close() {
      await workerConnection?.close();
      await connection.close();
    },
  };
}

/**
 * Runs `body` with a client of the configured cluster, else of the embedded dev server under
 * MERIDIAN_HOME (started when none runs), for commands that only talk to Temporal (schedules,
 * apply): no worker is started.
 */
export async function withTemporalClient<T>(body: (client: Client) => Promise<T>): Promise<T> {
  const settings = temporalSettings();
  const target = settings.cluster ?? { address: (await startEmbeddedServer(settings.home)).address };
  const temporal = await connectTemporal(target, settings.namespace);
  try {
    return await body(temporal.client);
  } finally {
    await temporal.close();
  }
}

/** "Failed to connect to Temporal server" says little: its causes (e.g. 16 UNAUTHENTICATED: …) say why. */
function withCauses(err: unknown): string {
  const messages: string[] = [];
  for (let at: unknown = err; at instanceof Error; at = at.cause) {
    if (!messages.some((seen) => seen.includes(at.message))) messages.push(at.message);
  }
  return messages.join(': ') || String(err);
}
