// A TLS front for the test Temporal dev server (which cannot serve TLS itself), standing in for a
// secured cluster or Temporal Cloud: it terminates real TLS (optionally requiring a client
// certificate signed by its CA: mTLS), optionally requires `authorization: Bearer <API key>` on
// every gRPC call, optionally refuses named gRPC methods with PERMISSION_DENIED, and forwards
// every other call, as HTTP/2, to the dev server on loopback. Certificates come from tlsFiles.ts.

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface TemporalGatewayOptions {
  /** host:port of the plaintext dev server (loopback). */
  target: string;
  /** PEM of the gateway's certificate and key. */
  cert: string;
  key: string;
  /** PEM of the CA that client certificates must chain to: mTLS when given. */
  clientCa?: string;
  /** Calls without `authorization: Bearer <apiKey>` are refused with UNAUTHENTICATED. */
  apiKey?: string;
  /** Full gRPC method paths refused with PERMISSION_DENIED, e.g. `/temporal.api.operatorservice.v1.OperatorService/AddSearchAttributes`. */
  refuse?: string[];
}

export interface TemporalGateway {
  /** 127.0.0.1:PORT */
  address: string;
  counts: {
    /** TLS sessions established (with a verified client certificate under mTLS). */
    sessions: number;
    /** Calls forwarded to the dev server. */
    forwarded: number;
    /** Calls refused for a missing or wrong API key. */
    unauthenticated: number;
    /** Calls refused because their method is in `refuse`. */
    refused: number;
  };
  /** Every call that reached the gateway: its method path and its `temporal-namespace` header, if any. */
  calls: { method: string; namespace?: string }[];
  close(): Promise<void>;
}

const GRPC_PERMISSION_DENIED = 7;
const GRPC_UNAUTHENTICATED = 16;

export async function startTemporalGateway(options: TemporalGatewayOptions): Promise<TemporalGateway> {
  const [host, port] = splitAddress(options.target);
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`the gateway only forwards to loopback, not ${host}`);
  const upstream = http2.connect(`http://${host}:${port}`);
  upstream.on('error', () => undefined); // each forwarded stream reports its own failure
  const counts = { sessions: 0, forwarded: 0, unauthenticated: 0, refused: 0 };
  const refusedMethods = new Set(options.refuse ?? []);
  const calls: TemporalGateway['calls'] = [];

  const server = http2.createSecureServer({
    cert: options.cert,
    key: options.key,
    ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!options.clientCa || socket.authorized) counts.sessions += 1;
  });
  server.on('sessionError', () => undefined);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const method = String(headers[':path']);
    const namespace = headers['temporal-namespace'];
    calls.push({ method, ...(typeof namespace === 'string' ? { namespace } : {}) });
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      counts.unauthenticated += 1;
      return answerStatus(stream, GRPC_UNAUTHENTICATED, 'missing or wrong API key');
    }
    if (refusedMethods.has(method)) {
      counts.refused += 1;
      return answerStatus(stream, GRPC_PERMISSION_DENIED, `request unauthorized: ${method}`);
    }
    counts.forwarded += 1;
    forward(stream, headers, upstream);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    calls,
    close: async () => {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      upstream.destroy();
    },
  };
}

/** Passes one gRPC call through: request headers and body up, response headers, body and trailers down. */
function forward(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, upstream: http2.ClientHttp2Session): void {
  const { ':authority': _authority, ':scheme': _scheme, ...requestHeaders } = headers;
  const call = upstream.request(requestHeaders);
  call.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
  stream.on('close', () => {
    if (!call.closed) call.close(http2.constants.NGHTTP2_CANCEL);
  });
  stream.pipe(call);
  let trailers: http2.OutgoingHttpHeaders = {};
  call.on('trailers', (received) => (trailers = withoutPseudoHeaders(received)));
  call.on('response', (response) => {
    if (stream.closed) return;
    // A "trailers-only" answer (an immediate error) carries its grpc-status in the headers.
    if (response['grpc-status'] !== undefined) {
      stream.respond(response, { endStream: true });
      return;
    }
    stream.respond(response, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    call.pipe(stream);
  });
}

function answerStatus(stream: http2.ServerHttp2Stream, status: number, message: string): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status), 'grpc-message': encodeURIComponent(message) }, { endStream: true });
}

function withoutPseudoHeaders(headers: http2.IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':')));
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
