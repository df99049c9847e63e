// The failover monitor's probes (core/healthProbe.ts): a storage canary round trip that leaves
// nothing under health/, an unreachable or hanging storage reported unhealthy with a reason (never
// thrown), the read-only probe that writes nothing, and HTTP checks with an expected status and a
// timeout against a real local server.

import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { verify } from '../../core/checker';
import { probeHttp, probeStorage, safeUrl } from '../../core/healthProbe';
import { prune } from '../../core/prune';
import { replicatePass } from '../../core/replication';
import { unlock } from '../../core/unlock';
import { LocalStorage } from '../../storage/local';
import { MemoryStorage } from '../../storage/memory';
import type { Storage } from '../../storage/storage';
import { storedObjects } from '../helpers/pruneHistory';
import { primaryWithReplica } from '../helpers/replicas';
import { tempDir } from '../helpers/trees';

/** The names under health/. */
async function healthFiles(storage: Storage): Promise<string[]> {
  return [...(await storedObjects(storage)).keys()].filter((key) => key.startsWith('health/')).map((key) => key.slice('health/'.length));
}

it('a healthy storage round-trips its canary and keeps no file under health/', async () => {
  const storage = new LocalStorage(tempDir('probe-healthy'));
  const outcome = await probeStorage(storage, { timeoutMs: 5_000 });
  expect(outcome).toEqual({ healthy: true, latencyMs: expect.any(Number) });
  expect(await healthFiles(storage)).toEqual([]);
});

it('an unreachable storage is unhealthy with its reason, and a hanging one after the timeout', async () => {
  const file = path.join(tempDir('probe-broken'), 'not-a-directory');
  fs.writeFileSync(file, 'x');
  const broken = await probeStorage(new LocalStorage(file), { timeoutMs: 5_000 });
  expect(broken).toMatchObject({ healthy: false, reason: expect.stringMatching(/\S/) });

  const hanging: Storage = Object.assign(new MemoryStorage(), { put: () => new Promise<void>(() => undefined) });
  expect(await probeStorage(hanging, { timeoutMs: 200 })).toEqual({ healthy: false, latencyMs: expect.any(Number), reason: 'no answer within 200 ms' });
});

it('the read-only probe writes nothing and needs the repository config', async () => {
  const storage = new MemoryStorage();
  expect(await probeStorage(storage, { timeoutMs: 1_000, readOnly: true })).toMatchObject({ healthy: false });
  await storage.put({ type: 'config', name: 'config' }, new Uint8Array([1]));
  expect(await probeStorage(storage, { timeoutMs: 1_000, readOnly: true })).toMatchObject({ healthy: true });
  expect(await healthFiles(storage)).toEqual([]);
});

it('a canary left behind (a probe killed midway) is ignored by verify, prune, replication and unlock', async () => {
  const { primary, openReplica } = await primaryWithReplica(1);
  const leftover = { type: 'health' as const, name: 'ab'.repeat(16) };
  await primary.storage.put(leftover, new Uint8Array(32));
  expect(await verify(primary, { level: 'standard' })).toMatchObject({ ok: true, problems: [] });
  await prune(primary, {});
  const replica = await openReplica();
  await replicatePass(primary, replica, { replicaName: 'r', graceHours: 24 });
  await unlock(primary, { force: true });
  expect(await healthFiles(primary.storage)).toEqual([leftover.name]);
  expect(await healthFiles(replica.storage)).toEqual([]);
});

describe('HTTP checks', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hang') return; // never answers
      res.statusCode = req.url === '/down' ? 503 : 200;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is healthy on the expected status, unhealthy on another or on no answer in time', async () => {
    expect(await probeHttp(`${base}/ok`, { expectStatus: 200, timeoutMs: 2_000 })).toMatchObject({ healthy: true });
    expect(await probeHttp(`${base}/down`, { expectStatus: 200, timeoutMs: 2_000 })).toMatchObject({ healthy: false, reason: 'HTTP 503, expected 200' });
    expect(await probeHttp(`${base}/down`, { expectStatus: 503, timeoutMs: 2_000 })).toMatchObject({ healthy: true });
    expect(await probeHttp(`${base}/hang`, { expectStatus: 200, timeoutMs: 200 })).toMatchObject({ healthy: false, reason: 'no answer within 200 ms' });
  });

  it('never quotes the URL in a failed request’s reason: its class and code instead', async () => {
    const credentials = await probeHttp(`http://user:s3cret@${base.slice('http://'.length)}/ok?token=t0ken`, { expectStatus: 200, timeoutMs: 2_000 });
    expect(credentials).toMatchObject({ healthy: false, reason: 'request failed: TypeError' });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await probeHttp(`http://127.0.0.1:${port}/health?token=t0ken`, { expectStatus: 200, timeoutMs: 2_000 });
    expect(refused).toMatchObject({ healthy: false, reason: 'request failed: TypeError ECONNREFUSED' });
  });

  it('names a URL without its credentials or query', () => {
    expect(safeUrl('https://user:secret@example.com:8443/health?token=abc')).toBe('https://example.com:8443/health');
  });
});
