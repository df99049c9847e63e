// The API's one error mapper, end to end through app.request: engine and storage errors get
// their documented statuses, an unreachable Temporal (a real client on a closed port) is a 503,
// and anything unexpected is a generic 500 that leaks neither a stack nor a secret.
// Also serveApi: a real listener on 127.0.0.1 and an ephemeral port.

import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { serveApi } from '../../api/serve';
import { RepositoryError, RepositoryErrorCode } from '../../core/errors';
import { StorageError, StorageErrorKind } from '../../storage/storage';
import { Authority, configuredAuthority } from '../../worker/authority';
import { repositoryLocationKey } from '../../storage/open';

const TOKEN = 'test-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };

/** An authority that serves the repository `url`. */
function serving(url: string): Authority {
  return configuredAuthority({ repositories: [{ url, key: repositoryLocationKey(url) }], sourceRoots: [], restoreRoots: [], origin: { kind: 'command' } });
}

function appWith(options: { client?: Client; admit?: () => Promise<never> }) {
  return createApiApp({
    client: options.client ?? ({} as Client),
    authority: options.admit ? { admit: options.admit } : serving('/srv/repo'),
    token: TOKEN,
  });
}

async function listSnapshotsFailingWith(err: Error) {
  const response = await appWith({ admit: () => Promise.reject(err) }).request('/v1/snapshots?repo=/srv/repo', { headers: auth });
  return { status: response.status, body: (await response.json()) as { error: { code: string; message: string } } };
}

describe('API error mapping', () => {
  it.each<[RepositoryErrorCode, number, string]>([
    ['wrong-passphrase', 422, 'wrong_passphrase'],
    ['not-a-repository', 422, 'not_a_repository'],
    ['integrity', 422, 'integrity'],
    ['not-found', 404, 'not_found'],
    ['invalid-argument', 400, 'invalid_request'],
    ['already-initialized', 409, 'conflict'],
  ])('maps RepositoryError %s to %i %s', async (code, status, apiCode) => {
    const { status: got, body } = await listSnapshotsFailingWith(new RepositoryError(code, `[repository] ${code} happened`));
    expect(got).toBe(status);
    expect(body).toEqual({ error: { code: apiCode, message: `[repository] ${code} happened` } });
  });

  it.each<[StorageErrorKind, number, string]>([
    ['permanent', 502, 'storage_error'],
    ['transient', 503, 'storage_unavailable'],
    ['not-found', 404, 'not_found'],
  ])('maps StorageError %s to %i %s', async (kind, status, apiCode) => {
    const { status: got, body } = await listSnapshotsFailingWith(new StorageError(kind, '[storage:local] it broke'));
    expect(got).toBe(status);
    expect(body.error.code).toBe(apiCode);
  });

  it('answers an unexpected error with a generic 500, logging the details on the server only', async () => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const secret = new Error('password=hunter2 at /srv/secret/file');
      const response = await appWith({ admit: () => Promise.reject(secret) }).request('/v1/snapshots?repo=/srv/repo', { headers: auth });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
      expect(text).not.toMatch(/hunter2|secret|at /);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('GET /v1/snapshots'), secret);
    } finally {
      log.mockRestore();
    }
  });

  it('answers 503 temporal_unavailable when Temporal cannot be reached', async () => {
    const port = await closedPort();
    // No interceptors: no gRPC retries, so the refusal comes back at once.
    const connection = Connection.lazy({ address: `127.0.0.1:${port}`, interceptors: [], connectTimeout: 2000 });
    try {
      const app = appWith({ client: new Client({ connection }) });
      const response = await app.request('/v1/backups', {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ repo: '/srv/repo', path: '/data' }),
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: { code: 'temporal_unavailable', message: 'Temporal is unreachable; try again later' } });
    } finally {
      await connection.close();
    }
  });
});

describe('serveApi', () => {
  it('listens on 127.0.0.1, reports the port it bound and closes', async () => {
    const served = await serveApi(appWith({}), 0);
    try {
      expect(served.port).toBeGreaterThan(0);
      const response = await fetch(`http://127.0.0.1:${served.port}/healthz`);
      expect(await response.json()).toEqual({ ok: true });
      const unauthorized = await fetch(`http://127.0.0.1:${served.port}/v1/snapshots?repo=/srv/repo`);
      expect(unauthorized.status).toBe(401);
    } finally {
      await served.close();
    }
    await expect(fetch(`http://127.0.0.1:${served.port}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const served = await serveApi(appWith({}), 0);
    try {
      await expect(serveApi(appWith({}), served.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await served.close();
    }
  });
});

/** A port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
