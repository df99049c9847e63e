// A real local webhook receiver (node:http) for notification tests: records every request it
// gets (path with query, headers, JSON body) and answers each with the status the test chooses
// (200 by default), at once or when a promise the test holds settles.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query string, as requested. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The body as sent (what a signature covers). */
  rawBody: string;
}

export interface WebhookServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  received: ReceivedRequest[];
  /** How to answer from now on: the status for a request (called once per request, in arrival order). */
  answerWith(status: (request: ReceivedRequest) => number | Promise<number>): void;
  close(): Promise<void>;
}

export async function startWebhookServer(): Promise<WebhookServer> {
  const received: ReceivedRequest[] = [];
  let status = (_request: ReceivedRequest): number | Promise<number> => 200;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined, rawBody: text };
      received.push(request);
      void Promise.resolve(status(request)).then((code) => res.writeHead(code, { 'content-type': 'text/plain' }).end('ok'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    answerWith: (choose) => {
      status = choose;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
