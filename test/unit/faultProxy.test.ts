// The fault-injection proxy (test/helpers/faultProxy.ts) in front of a real local HTTP server:
// healthy connections are forwarded, failed ones are reset, stalled or answered 500 without
// reaching the server, and "down" resets open and new connections until it is lifted.

import http from 'node:http';
import net from 'node:net';
import { FaultProxyOptions, startFaultProxy } from '../helpers/faultProxy';

let server: http.Server;
let served = 0;
const proxies: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    served += 1;
    req.resume();
    req.on('end', () => res.end(`served ${req.method} ${req.url}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await new Promise((resolve) => server.close(resolve));
});

async function proxy(options: Omit<FaultProxyOptions, 'target'>) {
  const started = await startFaultProxy({ target: { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, ...options });
  proxies.push(started);
  return started;
}

/** One request on its own connection (or on the given keep-alive agent). */
function request(url: string, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/tile`, { method: 'PUT', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('x'.repeat(64 * 1024));
  });
}

test('healthy connections reach the server, after the configured delay', async () => {
  const p = await proxy({ failShare: 0, delayMs: 100 });
  const before = served;
  const started = Date.now();
  await expect(request(p.url)).resolves.toEqual({ status: 200, body: 'served PUT /tile' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  expect(served).toBe(before + 1);
  expect(p.counts).toMatchObject({ connections: 1, failed: 0 });
});

test('http500 and slowDown answer without contacting the server; reset and stall fail the request', async () => {
  const before = served;
  const p500 = await proxy({ failShare: 1, modes: ['http500'] });
  await expect(request(p500.url)).resolves.toEqual({ status: 500, body: '' });

  const reset = await proxy({ failShare: 1, modes: ['reset'] });
  await expect(request(reset.url)).rejects.toMatchObject({ code: 'ECONNRESET' });

  const stall = await proxy({ failShare: 1, modes: ['stall'], stallMs: 300 });
  const started = Date.now();
  await expect(request(stall.url)).rejects.toMatchObject({ code: 'ECONNRESET' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);

  const throttled = await proxy({ failShare: 1, modes: ['slowDown'], retryAfter: '3' });
  await expect(request(throttled.url)).resolves.toMatchObject({ status: 503, body: expect.stringContaining('<Code>SlowDown</Code>') });

  expect(served).toBe(before);
  expect([p500.counts, reset.counts, stall.counts, throttled.counts]).toEqual([
    { connections: 1, failed: 1, http500: 1, reset: 0, stall: 0, slowDown: 0, down: 0 },
    { connections: 1, failed: 1, http500: 0, reset: 1, stall: 0, slowDown: 0, down: 0 },
    { connections: 1, failed: 1, http500: 0, reset: 0, stall: 1, slowDown: 0, down: 0 },
    { connections: 1, failed: 1, http500: 0, reset: 0, stall: 0, slowDown: 1, down: 0 },
  ]);
});

test('the failing share follows the random source', async () => {
  // Per connection one draw against failShare, plus a mode draw when it fails: fail, pass, pass, fail.
  const draws = [0.1, 0.5, 0.9, 0.95, 0.2, 0.0];
  let i = 0;
  const p = await proxy({ failShare: 0.3, modes: ['reset'], random: () => draws[i++ % draws.length]! });
  const results = [];
  for (let n = 0; n < 4; n++) results.push(await request(p.url).then((r) => r.status, () => 'reset'));
  expect(results).toEqual(['reset', 200, 200, 'reset']);
  expect(p.counts).toMatchObject({ connections: 4, failed: 2, reset: 2 });
});

test('down resets open keep-alive connections and refuses new ones until lifted', async () => {
  const p = await proxy({ failShare: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  await expect(request(p.url, agent)).resolves.toMatchObject({ status: 200 });
  const pooled = Object.values(agent.freeSockets).flat()[0]!;
  const closed = new Promise((resolve) => pooled.once('close', resolve));
  p.setDown(true);
  await closed;
  await expect(request(p.url, agent)).rejects.toMatchObject({ code: 'ECONNRESET' });
  await expect(request(p.url)).rejects.toMatchObject({ code: 'ECONNRESET' });
  p.setDown(false);
  await expect(request(p.url, agent)).resolves.toMatchObject({ status: 200 });
  expect(p.counts).toMatchObject({ connections: 4, failed: 2, down: 2 });
  agent.destroy();
});
