// Builds a Temporal Worker for the Meridian task queue: registers missing search attributes (or,
// where the server refuses, as Temporal Cloud does, warns once naming them and goes on),
// wires activities to repositories resolved from the worker's own configuration, and loads the
// prebuilt workflow bundle when there is one (fast start) or bundles the workflows otherwise.
// Its activity interceptor counts and times the operations for /metrics (metrics/operationMetrics.ts).

import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, WorkerOptions } from '@temporalio/worker';
import { ActivityDeps, createActivities } from '../activities/index.js';
import { operationMetricsInterceptor } from '../metrics/operationMetrics.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/shared.js';
import { clusterReader } from './clusterReader.js';
import { fleetHistory } from './fleetHistory.js';
import { ensureSearchAttributes, SearchAttributesRefusedError } from './devServer.js';
import { DEFAULT_MAX_ACTIVITIES } from './workerCapacity.js';

export interface MeridianWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** Activities run at once (default DEFAULT_MAX_ACTIVITIES); a backup's encoder threads are deps.encoderThreads. */
  maxActivities?: number;
  /** Extra Worker options (tests shorten shutdown, set identity…). */
  overrides?: Partial<WorkerOptions>;
}

export async function createMeridianWorker(options: MeridianWorkerOptions): Promise<Worker> {
  const namespace = options.namespace ?? 'default';
  await ensureSearchAttributes(options.connection, namespace).catch((err: unknown) => {
    if (!(err instanceof SearchAttributesRefusedError)) throw err;
    Runtime.instance().logger.warn(err.message);
  });
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  // A worker serving a meridian.yaml reads active regions and recoveries from the cluster it runs in; a CLI command's own worker does not.
  const client = options.deps.workerConfig ? new Client({ connection: options.connection, namespace }) : undefined;
  const cluster = options.deps.cluster ?? (client ? clusterReader(client, taskQueue) : undefined);
  const history = options.deps.fleetHistory ?? (client ? fleetHistory(client) : undefined);
  return Worker.create({
    connection: options.connection,
    namespace,
    taskQueue,
    activities: createActivities({ ...options.deps, ...(cluster ? { cluster } : {}), ...(history ? { fleetHistory: history } : {}) }),
    ...workflowSource(),
    interceptors: { activity: [operationMetricsInterceptor] },
    maxConcurrentActivityTaskExecutions: options.maxActivities ?? DEFAULT_MAX_ACTIVITIES,
    // Progress lives in heartbeat details: send them every second rather than every 16 s
    // (0.8 × the activities' heartbeat timeout, the SDK default), for a live progress view.
    maxHeartbeatThrottleInterval: '1 second',
    ...options.overrides,
  });
}

/** The bundle `npm run build` writes, else the workflow sources (bundled at start). */
function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  const bundle = path.join(__dirname, '..', 'workflow-bundle.js');
  if (__filename.endsWith('.js') && fs.existsSync(bundle)) return { workflowBundle: { codePath: bundle } };
  return { workflowsPath: require.resolve('../workflows/index') };
}
