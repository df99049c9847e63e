// Serves the API app on 127.0.0.1 with @hono/node-server, for `meridian server`. Port 0 picks
// any free port; the port actually bound is reported.

import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';

export interface ServedApi {
  port: number;
  /** Stops accepting connections and resolves once open ones have ended. */
  close(): Promise<void>;
}

export async function serveApi(app: Hono, port: number): Promise<ServedApi> {
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
