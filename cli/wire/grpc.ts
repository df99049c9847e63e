// Unary gRPC calls over one HTTP/2 connection (node:http2), for the CLI's few Temporal calls: a
// request is one length-prefixed protobuf message, the answer one message and a grpc-status in the
// trailers. Loading this costs the CLI next to nothing, where the SDK's client (grpc-js, protobufjs
// and the reflection of every Temporal proto) costs ~0.13–0.25 s before the first call.

import http2 from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { tlsConnectOptions } from '../tlsProbe.js';
import type { TemporalTarget } from '../temporalSettings.js';
import { GrpcError, GRPC_STATUS, GrpcUnreachable } from './grpcError.js';

/** Who calls, in the header the SDK's client names itself with, so the server's logs name the CLI. */
const CLIENT_HEADERS = { 'client-name': 'meridian-cli' };

/** How long a channel that has had an answer retries a call that failed in passing, and its pauses. */
const RETRY_FOR_MS = 60_000;
const FIRST_PAUSE_MS = 200;
const LONGEST_PAUSE_MS = 5_000;
/** Statuses of a server that may answer in a moment: restarting, overloaded, its deadline missed. */
const TRANSIENT = new Set<number>([GRPC_STATUS.UNAVAILABLE, GRPC_STATUS.DEADLINE_EXCEEDED, GRPC_STATUS.RESOURCE_EXHAUSTED]);

export interface CallOptions {
  /** The call's deadline, sent as grpc-timeout and enforced here too. */
  timeoutMs: number;
  /** false: one attempt only, for a call whose failure the caller takes as an answer (a query no worker answers). */
  retry?: boolean;
  /** Headers of this call on top of the channel's (e.g. `temporal-namespace`, which Temporal Cloud routes by). */
  headers?: Record<string, string>;
}

/**
 * A connection to a gRPC server (opened on the first call). A call rejects with a GrpcError when
 * the server answered with a status, a GrpcUnreachable when it never answered (nothing listening,
 * TLS refused, the connection dropped). Once the server has answered a call, a later call that
 * fails in passing (the connection dropped, the frontend restarting or overloaded) is sent again,
 * on a new connection if need be, for up to a minute: a long backup outlives a frontend's restart.
 * Before any answer nothing is retried, so a wrong address or TLS setting fails at once. Callers
 * send only calls that are safe to repeat (a cancellation carries its request id).
 */
export class GrpcChannel {
  private session?: http2.ClientHttp2Session;
  private readonly headers: Record<string, string>;
  private answered = false;

  constructor(private readonly target: TemporalTarget) {
    const apiKey: Record<string, string> = target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
    // Binary metadata (names ending in -bin) travels base64-encoded, as gRPC defines it.
    const metadata = Object.fromEntries(Object.entries(target.metadata ?? {}).map(([name, value]) => [name.toLowerCase(), Buffer.isBuffer(value) ? value.toString('base64') : String(value)]));
    this.headers = { ...CLIENT_HEADERS, ...metadata, ...apiKey };
  }

  async call(path: string, request: Buffer, options: CallOptions): Promise<Buffer> {
    let failingSince: number | undefined;
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
      try {
        const answer = await this.callOnce(path, request, options);
        this.answered = true;
        return answer;
      } catch (err) {
        const transient = err instanceof GrpcUnreachable || (err instanceof GrpcError && TRANSIENT.has(err.code));
        failingSince ??= Date.now();
        if (!this.answered || !transient || options.retry === false || Date.now() - failingSince + pause > RETRY_FOR_MS) throw err;
        // The next attempt gets a new connection: this one may be dead, hung or going away.
        this.session?.destroy();
        this.session = undefined;
        await sleep(pause);
      }
    }
  }

  private callOnce(path: string, request: Buffer, { timeoutMs, headers }: CallOptions): Promise<Buffer> {
    const stream = this.connected().request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.ceil(timeoutMs)}m`,
      ...this.headers,
      ...headers,
    });
    const framed = Buffer.alloc(5 + request.length);
    framed.writeUInt32BE(request.length, 1);
    request.copy(framed, 5);
    stream.end(framed);
    return answer(stream, timeoutMs);
  }

  close(): void {
    this.session?.close();
  }

  private connected(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    // An API key implies TLS unless TLS is explicitly off.
    const secure = this.target.tls === undefined ? this.target.apiKey !== undefined : this.target.tls !== false && this.target.tls !== null;
    const authority = `${secure ? 'https' : 'http'}://${this.target.address}`;
    const session = secure ? http2.connect(authority, tlsConnectOptions(this.target.address, this.target.tls === true || !this.target.tls ? {} : this.target.tls)) : http2.connect(authority);
    // Errors reach the calls' streams; a session without a listener would crash the process.
    session.on('error', () => undefined);
    // The session alone does not keep the process alive: a call's deadline timer does while it runs.
    session.unref();
    this.session = session;
    return session;
  }
}

/** Collects the answer of one call: its message, or a GrpcError from its status. */
function answer(stream: http2.ClientHttp2Stream, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status: { code: number; message: string } | undefined;
    const statusOf = (headers: http2.IncomingHttpHeaders) => {
      const code = headers['grpc-status'];
      if (code !== undefined) status = { code: Number(code), message: percentDecoded(String(headers['grpc-message'] ?? '')) };
    };
    const deadline = Date.now() + timeoutMs;
    const missedDeadline = () => new GrpcError(GRPC_STATUS.DEADLINE_EXCEEDED, `no answer within ${Math.round(timeoutMs)} ms`);
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(missedDeadline());
    }, timeoutMs);
    stream.on('response', statusOf);
    stream.on('trailers', statusOf);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(new GrpcUnreachable(err));
    });
    stream.on('close', () => {
      clearTimeout(timer);
      if (status === undefined) return reject(endedWithoutStatus(stream.rstCode, Date.now() >= deadline ? missedDeadline : undefined));
      if (status.code !== GRPC_STATUS.OK) return reject(new GrpcError(status.code, status.message));
      try {
        resolve(unframed(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

/**
 * A stream the server reset without a status. A Go gRPC server resets with CANCEL when the call's
 * grpc-timeout passes, which can reach us before our own timer fires (a busy event loop): that is
 * the deadline missed. CANCEL before it is the server cancelling the call (as grpc-js reads it);
 * any other end is a server or connection that went away.
 */
function endedWithoutStatus(rstCode: number | undefined, missedDeadline: (() => GrpcError) | undefined): Error {
  if (rstCode === http2.constants.NGHTTP2_CANCEL) return missedDeadline?.() ?? new GrpcError(GRPC_STATUS.CANCELLED, 'the server cancelled the call');
  return new GrpcUnreachable(`the call ended without a gRPC status (HTTP/2 code ${rstCode ?? 'none'})`);
}

/** grpc-message is percent-encoded; a server's malformed encoding is shown as sent rather than thrown. */
function percentDecoded(message: string): string {
  try {
    return decodeURIComponent(message);
  } catch {
    return message;
  }
}

/** The one message of an answer, without its 5-byte frame header. */
function unframed(body: Buffer): Buffer {
  if (body.length < 5) throw new Error('gRPC: an OK answer without a message');
  if (body[0] !== 0) throw new Error('gRPC: a compressed answer, which this client never asked for');
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new Error(`gRPC: a message of ${length} bytes in a body of ${body.length - 5}`);
  return body.subarray(5);
}
