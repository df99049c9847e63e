// The Azure Blob server of the integration tests: Azurite (npm devDependency) on a free 127.0.0.1
// port, with its data in a throwaway folder and --skipApiVersionCheck (the SDK's API version is
// newer than Azurite's). Clients reach the well-known development account through
// MERIDIAN_TEST_AZURE_ENDPOINT with its published key in AZURE_STORAGE_KEY. Loaded by
// globalSetup through plain require: import TypeScript siblings without the `.js` suffix.

import path from 'node:path';
import type { ServerStarter } from './index';
import { freePort, HOST, projectRoot, startLocalServer } from './localServer';

/** Azurite's built-in account and its documented, public key. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export const startAzureServer: ServerStarter = async () => {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}/${ACCOUNT}`;
  return startLocalServer({
    name: 'azurite',
    command: process.execPath,
    args: (dir) => [path.join(projectRoot(), 'node_modules', '.bin', 'azurite-blob'), '--blobHost', HOST, '--blobPort', String(port),
      '--location', dir, '--skipApiVersionCheck', '--loose', '--silent', '--disableTelemetry'],
    // Any answer will do (an anonymous request is refused with 403): the server is listening.
    ready: async () => {
      await fetch(`${endpoint}?comp=list`);
    },
    env: { MERIDIAN_TEST_AZURE_ENDPOINT: endpoint, AZURE_STORAGE_KEY: ACCOUNT_KEY },
  });
};
