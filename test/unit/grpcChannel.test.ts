// The CLI's gRPC channel (cli/wire/grpc.ts) against a local HTTP/2 server that answers as a gRPC
// server would, call by call from a script: a message comes back unframed with the headers sent;
// a status becomes a GrpcError (a malformed grpc-message as sent); a transient status is retried
// once the server has answered, never before, nor when the caller asked for one attempt; a stream
// the server resets without a status is a cancellation (CANCEL) or a server gone (any other code).

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { GrpcChannel } from '../../cli/wire/grpc';
import { GrpcError, GRPC_STATUS, GrpcUnreachable } from '../../cli/wire/grpcError';

type Answer = { message: Buffer } | { status: number; text: string } | { reset: number };

let server: http2.Http2Server;
let address: string;
const script: Answer[] = [];
const seen: http2.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http2.createServer();
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.on('data', () => undefined);
    const next = script.shift() ?? { status: GRPC_STATUS.INTERNAL, text: 'no answer scripted' };
    if ('reset' in next) {
      stream.on('error', () => undefined); // a reset with an error code is an error on this side too
      stream.close(next.reset);
      return;
    }
    if ('status' in next) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(next.status), 'grpc-message': next.text }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(next.message.length, 1);
    stream.end(Buffer.concat([frame, next.message]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  script.length = 0;
  seen.length = 0;
});

async function withChannel<T>(body: (channel: GrpcChannel) => Promise<T>): Promise<T> {
  const channel = new GrpcChannel({ address, tls: false });
  try {
    return await body(channel);
  } finally {
    channel.close();
  }
}

test('a message comes back unframed; the call carries its path, deadline, API key, metadata and own headers', async () => {
  script.push({ message: Buffer.from('answer') });
  const channel = new GrpcChannel({ address, tls: false, apiKey: 'key-1', metadata: { 'X-Team': 'gis' } });
  try {
    const answer = await channel.call('/svc/Method', Buffer.from('request'), { timeoutMs: 5000, headers: { 'temporal-namespace': 'ns' } });
    expect(answer.toString()).toBe('answer');
  } finally {
    channel.close();
  }
  expect(seen[0]).toMatchObject({ ':path': '/svc/Method', 'content-type': 'application/grpc', 'grpc-timeout': '5000m', authorization: 'Bearer key-1', 'x-team': 'gis', 'temporal-namespace': 'ns' });
});

test('a status is a GrpcError worded as grpc-js words it; a malformed grpc-message is shown as sent', async () => {
  script.push({ status: GRPC_STATUS.NOT_FOUND, text: 'Namespace%20x%20not%20found' }, { status: GRPC_STATUS.INVALID_ARGUMENT, text: 'bad %zz escape' });
  await withChannel(async (channel) => {
    await expect(channel.call('/svc/A', Buffer.alloc(0), { timeoutMs: 5000 })).rejects.toThrow(new GrpcError(GRPC_STATUS.NOT_FOUND, 'Namespace x not found'));
    await expect(channel.call('/svc/A', Buffer.alloc(0), { timeoutMs: 5000 })).rejects.toThrow('3 INVALID_ARGUMENT: bad %zz escape');
  });
});

test('a transient status is retried once the server has answered, not before, and not when one attempt was asked for', async () => {
  script.push({ status: GRPC_STATUS.UNAVAILABLE, text: 'starting' });
  await withChannel(async (channel) => {
    await expect(channel.call('/svc/A', Buffer.alloc(0), { timeoutMs: 5000 })).rejects.toThrow('14 UNAVAILABLE: starting');
    script.push({ message: Buffer.from('first') }, { status: GRPC_STATUS.UNAVAILABLE, text: 'restarting' }, { message: Buffer.from('second') });
    expect((await channel.call('/svc/A', Buffer.alloc(0), { timeoutMs: 5000 })).toString()).toBe('first');
    expect((await channel.call('/svc/A', Buffer.alloc(0), { timeoutMs: 5000 })).toString()).toBe('second');
    script.push({ status: GRPC_STATUS.DEADLINE_EXCEEDED, text: 'no worker answered' }, { message: Buffer.from('not asked for') });
    await expect(channel.call('/svc/Query', Buffer.alloc(0), { timeoutMs: 5000, retry: false })).rejects.toThrow('4 DEADLINE_EXCEEDED');
  });
  expect(seen.map((headers) => headers[':path'])).toEqual(['/svc/A', '/svc/A', '/svc/A', '/svc/A', '/svc/Query']);
});

test('a stream the server resets with CANCEL before the deadline is a cancelled call; with another code, a server that went away', async () => {
  script.push({ reset: http2.constants.NGHTTP2_CANCEL }, { reset: http2.constants.NGHTTP2_INTERNAL_ERROR });
  await withChannel(async (channel) => {
    await expect(channel.call('/svc/Method', Buffer.from('r'), { timeoutMs: 5000, retry: false })).rejects.toMatchObject({ code: GRPC_STATUS.CANCELLED, message: '1 CANCELLED: the server cancelled the call' });
    const gone = channel.call('/svc/Method', Buffer.from('r'), { timeoutMs: 5000, retry: false });
    await expect(gone).rejects.toBeInstanceOf(GrpcUnreachable);
    await expect(gone).rejects.toThrow('Stream closed with error code NGHTTP2_INTERNAL_ERROR');
  });
});
