// Serves a Hono app (the API, or /metrics on a listener of its own) with @hono/node-server, for
// `meridian server`, on 127.0.0.1 unless a host is given (api.bind, metrics.bind). Port 0 picks
// any free port; the port actually bound is reported.

import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ServedApi {
  port: number;
  /** Stops accepting connections and resolves once open ones have ended. */
  close(): Promise<void>;
}

export async function serveApi(app: Hono, port: number, host = '127.0.0.1'): Promise<ServedApi> {
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** `host:port` (config's BindAddress; an IPv6 host in brackets) as listen arguments. */
export function parseBind(bind: string): { host: string; port: number } {
  const at = bind.lastIndexOf(':');
  return { host: bind.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(bind.slice(at + 1)) };
}
