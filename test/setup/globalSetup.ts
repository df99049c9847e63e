// Jest global setup of the integration project: starts one ephemeral, headless Temporal dev
// server for the whole run and publishes its address as TEMPORAL_TEST_ADDRESS (when that is
// already set, the given server is used and nothing starts).

import { startDevServer, type DevServer } from '../../worker/devServer';

/** Where the server handle waits for globalTeardown (same process, separate module registry). */
export const testServerSlot = globalThis as typeof globalThis & { meridianTestTemporal?: DevServer };

export default async function globalSetup(): Promise<void> {
  if (process.env.TEMPORAL_TEST_ADDRESS) return;
  const server = await startDevServer({ ui: false });
  testServerSlot.meridianTestTemporal = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
}
