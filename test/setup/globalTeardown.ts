// Jest global teardown: stops the Temporal dev server that globalSetup started, if it started one.

import { testServerSlot } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const server = testServerSlot.meridianTestTemporal;
  if (!server) return;
  testServerSlot.meridianTestTemporal = undefined;
  delete process.env.TEMPORAL_TEST_ADDRESS;
  await server.stop();
}
