// A TCP proxy on 127.0.0.1 in front of a real local server, for fault-injection tests: a chosen
// share of connections is reset, stalled then reset, answered with an HTTP 500, or throttled
// (an HTTP 503 with Retry-After and S3's SlowDown error, on request only) without reaching the server, and the whole backend can be taken "down" at runtime. It only forwards
// what its clients send, to a loopback target.

import net from 'node:net';

export type FaultMode = 'reset' | 'stall' | 'http500' | 'slowDown';

export interface FaultProxyOptions {
  target: { host: string; port: number };
  /** Share (0..1) of new connections that fail. */
  failShare: number;
  /** How failed connections fail, one picked at random per connection (default: reset, stall, http500). */
  modes?: FaultMode[];
  /** Milliseconds before a healthy connection is forwarded. */
  delayMs?: number;
  /** Milliseconds each chunk a client sends waits before it is forwarded: slows uploads on kept-alive connections too. */
  chunkDelayMs?: number;
  /** How long a stalled connection is held silently before it is reset (default 2 s). */
  stallMs?: number;
  random?: () => number;
  /** The Retry-After of a slowDown answer (default '1': one second). */
  retryAfter?: string;
}

export interface FaultProxy {
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Down: every open connection is reset, and every new one is reset at once. */
  setDown(down: boolean): void;
  /** Changes chunkDelayMs for the chunks still to come (0: none). */
  setChunkDelay(ms: number): void;
  /** Connections accepted, and those failed on purpose (by mode, and while down). */
  counts: { connections: number; failed: number } & Record<FaultMode | 'down', number>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const HTTP_500 = 'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const SLOW_DOWN_BODY = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
const slowDown = (retryAfter: string) =>
  `HTTP/1.1 503 Slow Down\r\nRetry-After: ${retryAfter}\r\nContent-Type: application/xml\r\nConnection: close\r\nContent-Length: ${SLOW_DOWN_BODY.length}\r\n\r\n${SLOW_DOWN_BODY}`;

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  if (!LOOPBACK.has(options.target.host)) throw new Error(`the fault proxy only forwards to loopback, not ${options.target.host}`);
  const random = options.random ?? Math.random;
  const modes = options.modes ?? ['reset', 'stall', 'http500'];
  const counts = { connections: 0, failed: 0, reset: 0, stall: 0, http500: 0, slowDown: 0, down: 0 };
  const open = new Set<net.Socket>();
  let down = false;
  let chunkDelayMs = options.chunkDelayMs ?? 0;

  const fail = (client: net.Socket, mode: FaultMode | 'down') => {
    counts.failed += 1;
    counts[mode] += 1;
    if (mode === 'reset' || mode === 'down') {
      client.resetAndDestroy();
    } else if (mode === 'stall') {
      const timer = setTimeout(() => client.resetAndDestroy(), options.stallMs ?? 2000);
      client.once('close', () => clearTimeout(timer));
    } else {
      // Answer the request head; discard the rest.
      const answer = mode === 'http500' ? HTTP_500 : slowDown(options.retryAfter ?? '1');
      client.once('data', () => client.end(answer));
    }
  };

  const forward = (client: net.Socket) => {
    if (client.destroyed) return;
    const upstream = net.connect(options.target);
    upstream.on('error', () => client.resetAndDestroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    // Each chunk waits its delay (while the client is paused, so chunks keep their order).
    client.on('data', (chunk: Buffer) => {
      if (chunkDelayMs === 0) {
        if (!upstream.write(chunk)) client.pause();
        return;
      }
      client.pause();
      setTimeout(() => {
        upstream.write(chunk);
        client.resume();
      }, chunkDelayMs);
    });
    upstream.on('drain', () => client.resume());
    client.on('end', () => upstream.end());
  };

  const server = net.createServer((client) => {
    counts.connections += 1;
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => undefined); // resets are the point here
    if (down) return fail(client, 'down');
    if (random() < options.failShare) return fail(client, modes[Math.floor(random() * modes.length)]!);
    if (options.delayMs) setTimeout(() => forward(client), options.delayMs);
    else forward(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    counts,
    setChunkDelay(ms) {
      chunkDelayMs = ms;
    },
    setDown(value) {
      down = value;
      if (down) for (const socket of open) socket.resetAndDestroy();
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}
