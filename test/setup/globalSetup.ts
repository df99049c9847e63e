// Jest global setup of the integration project: starts one ephemeral, headless Temporal dev
// server for the whole run and publishes its address as TEMPORAL_TEST_ADDRESS (when that is
// already set, the given server is used and nothing starts).

import { startDevServer, type DevServer } from '../../worker/devServer';
import { OBJECT_SERVERS, type StartedServer } from './servers/index';

/** Where the server handles wait for globalTeardown (same process, separate module registry). */
export const testServerSlot = globalThis as typeof globalThis & { meridianTestTemporal?: DevServer; meridianObjectServers?: StartedServer[] };

export default async function globalSetup(): Promise<void> {
  const outcomes = await Promise.allSettled(OBJECT_SERVERS.map((start) => start()));
  const started = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  testServerSlot.meridianObjectServers = started;
  for (const server of started) Object.assign(process.env, server.env);
  if (process.env.TEMPORAL_TEST_ADDRESS) return;
  const server = await startDevServer({ ui: false });
  testServerSlot.meridianTestTemporal = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
}
