// Jest global teardown: stops the object-storage servers and the Temporal dev server that
// globalSetup started.

import { testServerSlot } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const objectServers = testServerSlot.meridianObjectServers ?? [];
  testServerSlot.meridianObjectServers = undefined;
  await Promise.all(objectServers.map((s) => s.stop()));
  const server = testServerSlot.meridianTestTemporal;
  if (!server) return;
  testServerSlot.meridianTestTemporal = undefined;
  delete process.env.TEMPORAL_TEST_ADDRESS;
  await server.stop();
}
