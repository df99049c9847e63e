// A warm Temporal client for the benchmark, as an API server would be: connected once, it reads
// one operation per line on stdin ({"operation":"backup","input":{…}}), runs it as a workflow on
// $MERIDIAN_TASK_QUEUE of $TEMPORAL_ADDRESS and answers one line on stdout with its workflow id
// or its error.

import readline from 'node:readline';
import { startOperation } from '../api/operations.js';
import { connectTemporal } from '../cli/temporal.js';
import type { Operation, OperationInput } from '../workflows/catalog.js';

interface Request {
  operation: Operation;
  input: OperationInput<Operation>;
}

async function main(): Promise<void> {
  const { TEMPORAL_ADDRESS: address, MERIDIAN_TASK_QUEUE: taskQueue } = process.env;
  if (!address || !taskQueue) throw new Error('clientProcess needs TEMPORAL_ADDRESS and MERIDIAN_TASK_QUEUE');
  const temporal = await connectTemporal({ address }, 'default');
  const reply = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);
  reply({ ready: true });
  try {
    for await (const line of readline.createInterface({ input: process.stdin })) {
      const { operation, input } = JSON.parse(line) as Request;
      try {
        const handle = await startOperation(temporal.client, operation, input, taskQueue);
        await handle.result();
        reply({ workflowId: handle.workflowId });
      } catch (err) {
        reply({ error: err instanceof Error ? err.message : String(err) });
      }
    }
  } finally {
    await temporal.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
