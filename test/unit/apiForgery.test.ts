// No server-side request forgery: the API takes only repositories the server is configured for,
// by name or by a URL whose full location (endpoint included) matches, and refuses any other
// with 403 before opening storage. A real HTTP listener on 127.0.0.1 stands for the endpoint a
// caller names; it must receive nothing. The Temporal client here throws if ever used.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { createApiApp } from '../../api/app';
import { Repository } from '../../core/repository';
import { LocalStorage } from '../../storage/local';
import { configuredAuthority } from '../../worker/authority';
import { loadWorkerConfig } from '../../worker/workerConfig';
import { tempDir } from '../helpers/trees';
import { withWorkerConfig } from '../helpers/workerConfig';

const TOKEN = 'forgery-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };

let listener: http.Server;
let port: number;
const received: string[] = [];
let app: ReturnType<typeof createApiApp>;
let work: string;

beforeAll(async () => {
  // Credentials in the environment, as a server with S3 repositories has: before the fix they signed the forged requests.
  process.env.AWS_ACCESS_KEY_ID = 'AKIAFORGERYTEST';
  process.env.AWS_SECRET_ACCESS_KEY = 'forgery-test-secret';
  listener = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(403).end();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;

  work = tempDir('forgery');
  await Repository.init(new LocalStorage(path.join(work, 'tiles')), 'forgery passphrase', {});
  const env = withWorkerConfig(
    { MERIDIAN_HOME: path.join(work, 'home'), MERIDIAN_PASSWORD: 'forgery passphrase' },
    { repositories: [{ name: 'tiles', url: path.join(work, 'tiles') }, 's3://gis/nightly?endpoint=http://127.0.0.1:1&region=us-east-1'], roots: [work] },
  );
  const client = { workflow: new Proxy({}, { get: () => () => Promise.reject(new Error('the client must not be used')) }) } as unknown as Client;
  app = createApiApp({ client, authority: configuredAuthority(loadWorkerConfig(env), { env }), token: TOKEN });
});

afterAll(async () => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  await new Promise((resolve) => listener.close(resolve));
});

const forged = () => [`s3://b/p?endpoint=http://127.0.0.1:${port}`, `s3://gis/nightly?endpoint=http://127.0.0.1:${port}&region=us-east-1`, `gs://gis/x?endpoint=http://127.0.0.1:${port}`];

async function expectRefused(response: Response) {
  expect({ status: response.status, body: await response.json() }).toEqual({
    status: 403,
    body: { error: { code: 'refused', message: expect.stringMatching(/^\[authority\] refused repository "[a-z0-9]+:\/\/[^"]+" at 127\.0\.0\.1:\d+: this worker is not configured for it/) } },
  });
}

test('GET /v1/snapshots with a repository URL naming an endpoint of the caller is 403, and the endpoint hears nothing', async () => {
  for (const repo of forged()) await expectRefused(await app.request(`/v1/snapshots?repo=${encodeURIComponent(repo)}`, { headers: auth }));
  expect(received).toEqual([]);
});

test.each(['/v1/backups', '/v1/restores', '/v1/verifications'])('POST %s with such a repository is 403 before any workflow starts', async (route) => {
  const body = { '/v1/backups': { path: '/data' }, '/v1/restores': { snapshot: 'latest', target: '/data' }, '/v1/verifications': {} }[route];
  for (const repo of forged()) {
    await expectRefused(await app.request(route, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ repo, ...body }) }));
  }
  expect(received).toEqual([]);
});

test('a configured repository, by name or by URL, is listed', async () => {
  for (const repo of ['tiles', path.join(work, 'tiles')]) {
    const response = await app.request(`/v1/snapshots?repo=${encodeURIComponent(repo)}`, { headers: auth });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { snapshots: [] } });
  }
});
