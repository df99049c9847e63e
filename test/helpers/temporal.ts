// Integration-test access to the Temporal dev server started by test/setup/globalSetup.ts:
// a client, a native connection for workers, and unique task queues so tests never collide.

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export interface TestConnection {
  client: Client;
  /** For Worker.create({ connection }). */
  connection: NativeConnection;
  /** The client's gRPC connection (operatorService, workflowService). */
  clientConnection: Connection;
  namespace: string;
  /** Closes both connections; call it in afterAll. */
  close(): Promise<void>;
}

export function testAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run integration tests through jest, whose global setup starts Temporal.');
  return address;
}

export async function testConnection(): Promise<TestConnection> {
  const address = testAddress();
  const namespace = 'default';
  const clientConnection = await Connection.connect({ address });
  const connection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection: clientConnection, namespace }),
    connection,
    clientConnection,
    namespace,
    close: async () => {
      await clientConnection.close();
      await connection.close();
    },
  };
}

let counter = 0;

/** A task queue name no other test (or earlier run against the same server) uses. */
export function uniqueTaskQueue(prefix = 'test'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** A test file's connection and the long-running workflows its tests start (terminated when the file ends). */
export interface ConnectionScope {
  readonly t: TestConnection;
  /** Workflow ids to terminate in afterAll. */
  readonly started: string[];
}

/** Connects in beforeAll; in afterAll terminates every workflow pushed to `started` and closes the connection. */
export function useTestConnection(): ConnectionScope {
  let t: TestConnection | undefined;
  const started: string[] = [];
  beforeAll(async () => {
    t = await testConnection();
  });
  afterAll(async () => {
    for (const workflowId of started) await t?.client.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
    await t?.close();
  });
  return {
    get t() {
      if (t === undefined) throw new Error('useTestConnection: the connection exists only once beforeAll has run');
      return t;
    },
    started,
  };
}
