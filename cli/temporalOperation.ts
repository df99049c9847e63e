// Runs one operation as a Temporal workflow on the embedded dev server (no Temporal address
// configured), with a worker in this process, and waits for its result (a configured cluster is
// cli/grpcOperation.ts's). Ctrl-C cancels the workflow; workflows of embedded CLI runs that were
// killed are terminated by the next run (cli/orphans.ts).

import type { Client } from '@temporalio/client';
import { describeOperation, startOperation } from '../api/operations.js';
import { commandAuthority } from '../worker/authority.js';
import { commandRepository } from '../worker/workerConfig.js';
import { Operation, OperationInput, OperationOutput, operationPaths } from '../workflows/catalog.js';
import { checkEmbeddedBackupReplication } from './embeddedReplication.js';
import type { OperationOptions, OperationRun } from './operation.js';
import { count, notice, progressWanted } from './output.js';
import { showProgress } from './progress.js';
import { terminateOrphanedWorkflows, privateTaskQueue } from './orphans.js';
import { connectTemporal, startEmbeddedServer, withRuntime } from './temporal.js';
import type { TemporalSettings } from './temporalSettings.js';

export async function runOverEmbeddedServer<O extends Operation>(settings: TemporalSettings, operation: O, input: OperationInput<O>, options: OperationOptions): Promise<OperationRun<O>> {
  const progress = progressWanted();
  if (operation === 'backup') checkEmbeddedBackupReplication(commandRepository(input.repo));
  const { address } = await startEmbeddedServer(settings.home);
  return withRuntime('operation', async () => {
    const temporal = await connectTemporal({ address }, settings.namespace);
    try {
      const orphans = await terminateOrphanedWorkflows(temporal.client);
      if (orphans.length > 0) notice(`terminated ${count(orphans.length, 'workflow')} left running by a meridian process that is gone: ${orphans.join(', ')}`);
      // The embedded worker polls a task queue of its own. The dev server under MERIDIAN_HOME is
      // shared: a `meridian server` and other CLI runs may poll the default queue there, holding
      // other passphrases (or none), and would steal this run's tasks; and this short-lived worker
      // must not pick up theirs, which would be left stranded when it exits.
      const taskQueue = privateTaskQueue();
      // Any local user can reach the dev server and start workflows on this queue: the worker
      // does this command only (its repository and paths, its workflow), with this user's rights.
      let started!: (workflowId: Promise<string>) => void;
      const workflowId = new Promise<string>((resolve) => (started = resolve));
      const command = { repository: commandRepository(input.repo), ...operationPaths(operation, input), workflowId };
      const worker = await temporal.createWorker(taskQueue, commandAuthority(command, { passphrase: options.passphrase }));
      return await worker.runUntil(follow(temporal.client, operation, input, taskQueue, progress, started));
    } finally {
      await temporal.close();
    }
  });
}

async function follow<O extends Operation>(
  client: Client,
  operation: O,
  input: OperationInput<O>,
  taskQueue: string,
  progress: boolean,
  started: (workflowId: Promise<string>) => void,
): Promise<OperationRun<O>> {
  const start = startOperation(client, operation, input, taskQueue);
  started(start.then((h) => h.workflowId));
  const handle = await start;
  const cancel = () => {
    notice(`canceling ${handle.workflowId} (Ctrl-C again to stop waiting)`);
    handle.cancel().catch(() => undefined);
  };
  process.once('SIGINT', cancel);
  const line = progress ? showProgress(() => describeOperation(client, handle.workflowId), operation, `task queue "${taskQueue}"`) : undefined;
  try {
    return { workflowId: handle.workflowId, result: (await handle.result()) as OperationOutput<O> };
  } finally {
    process.removeListener('SIGINT', cancel);
    line?.stop();
  }
}
