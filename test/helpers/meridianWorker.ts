// Runs a real Meridian worker (threads, local repositories, passphrase from the test) against
// the test Temporal server, with the workflow code bundled once per test file.

import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createMeridianWorker } from '../../worker/createWorker';
import { createRepositoryResolver } from '../../worker/repositories';
import { TestConnection, uniqueTaskQueue } from './temporal';

// Keep test output readable: only the SDK's warnings and errors.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by an earlier test file in this process
}

let bundle: Promise<{ code: string }> | undefined;

export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows/index'), logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export interface RunningWorker {
  taskQueue: string;
  worker: Worker;
  stop(): Promise<void>;
}

export async function startWorker(t: TestConnection, passphrase: string, taskQueue = uniqueTaskQueue('wf')): Promise<RunningWorker> {
  const worker = await createMeridianWorker({
    connection: t.connection,
    namespace: t.namespace,
    taskQueue,
    deps: { repositories: createRepositoryResolver({ passphrase }) },
    overrides: { workflowBundle: await workflowBundle(), workflowsPath: undefined, shutdownGraceTime: '1s' },
  });
  const running = worker.run();
  return {
    taskQueue,
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
