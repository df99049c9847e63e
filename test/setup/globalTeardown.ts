// Jest global teardown: stops the object-storage servers and the Temporal dev server that
// globalSetup started. Each stop is bounded and logged: a server that does not go away in time is
// reported and left to the process group kill below, so a stuck stop can never hold the test run
// open after its summary.

import { testServerSlot } from './globalSetup';

const STOP_BOUND_MS = 30_000;

export default async function globalTeardown(): Promise<void> {
  const objectServers = testServerSlot.meridianObjectServers ?? [];
  testServerSlot.meridianObjectServers = undefined;
  await Promise.all(objectServers.map((s) => bounded(s.name, s.stop())));
  const server = testServerSlot.meridianTestTemporal;
  if (!server) return;
  testServerSlot.meridianTestTemporal = undefined;
  delete process.env.TEMPORAL_TEST_ADDRESS;
  await bounded('Temporal dev server', server.stop(), () => process.kill(server.pid, 'SIGKILL'));
}

async function bounded(name: string, stopping: Promise<void>, force?: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_BOUND_MS)));
  const outcome = await Promise.race([stopping.then(() => 'stopped' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    console.warn(`globalTeardown: ${name} did not stop within ${STOP_BOUND_MS / 1000} s; killing it and going on`);
    try {
      force?.();
    } catch {
      // already gone
    }
  }
}
