// One error classification for the S3, GCS and Azure backends, checked against a real local HTTP
// listener that answers every request as a test scripts it (503 with Retry-After, S3 SlowDown,
// 429, 400, a reset connection, bytes that are not HTTP); and the retry wrapper waiting as long
// as a Retry-After asks (bounded), measured between the requests that reach the listener.

import net from 'node:net';
import { classifyCloudFailure, parseRetryAfter } from '../../storage/cloudCalls';
import { createAzureStorage } from '../../storage/azure';
import { createGcsStorage } from '../../storage/gcs';
import { withRetry } from '../../storage/retry';
import { createS3Storage } from '../../storage/s3';
import { Storage, StorageError } from '../../storage/storage';

const CONFIG = { type: 'config', name: 'config' } as const;

/** What the listener does with each request: a raw HTTP answer, or a reset. */
type Answer = { status: number; reason: string; headers?: Record<string, string>; body?: string } | 'reset' | 'not-http';

interface Listener {
  url: string;
  /** When each request arrived (ms since the epoch). */
  arrivals: number[];
  answer: Answer;
  close(): Promise<void>;
}

async function startListener(): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const listener: Listener = { url: '', arrivals: [], answer: 'reset', close: async () => undefined };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let head = '';
    socket.on('data', (data) => {
      if (head.includes('\r\n\r\n')) return; // the rest of a request body
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      listener.arrivals.push(Date.now());
      const answer = listener.answer;
      if (answer === 'reset') return void socket.resetAndDestroy();
      if (answer === 'not-http') return void socket.end('this is not HTTP\r\n\r\n');
      const body = answer.body ?? '';
      const headers = { ...answer.headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' };
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.end(`HTTP/1.1 ${answer.status} ${answer.reason}\r\n${lines}\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  listener.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return listener;
}

interface Backend {
  name: string;
  open(url: string): Storage;
  /** An error answer in the backend's own format, with its service error code. */
  errorAnswer(status: number, reason: string, code: string, headers?: Record<string, string>): Answer;
}

const xmlError = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>scripted</Message></Error>`;

const BACKENDS: Backend[] = [
  {
    name: 's3',
    open: (url) => createS3Storage({ type: 's3', bucket: 'b', prefix: 'p', endpoint: url, pathStyle: true, region: 'us-east-1', accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test-key' }),
    errorAnswer: (status, reason, code, headers) => ({ status, reason, headers: { 'Content-Type': 'application/xml', ...headers }, body: xmlError(code) }),
  },
  {
    name: 'gcs',
    open: (url) => createGcsStorage({ type: 'gcs', bucket: 'b', prefix: 'p', endpoint: url }, { idleTimeoutMs: 5_000 }),
    errorAnswer: (status, reason, code, headers) => ({
      status,
      reason,
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ error: { code: status, message: 'scripted', errors: [{ reason: code, message: 'scripted' }] } }),
    }),
  },
  {
    name: 'azure',
    open: (url) => createAzureStorage({ type: 'azure', account: 'acct', container: 'c', prefix: 'p', endpoint: `${url}/acct`, accountKey: Buffer.from('test key').toString('base64') }, { idleTimeoutMs: 5_000 }),
    errorAnswer: (status, reason, code, headers) => ({ status, reason, headers: { 'Content-Type': 'application/xml', 'x-ms-error-code': code, ...headers }, body: xmlError(code) }),
  },
];

let listener: Listener;
beforeAll(async () => {
  listener = await startListener();
});
afterAll(() => listener.close());
beforeEach(() => {
  listener.arrivals = [];
});

async function failure(promise: Promise<unknown>): Promise<StorageError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

describe.each(BACKENDS)('$name: one rule for errors the backend does not name itself', (backend) => {
  it.each([
    ['an HTTP 500', 'transient', 500, 'Internal Server Error', 'InternalError', false],
    ['an HTTP 503', 'transient', 503, 'Service Unavailable', 'ServiceUnavailable', false],
    ['an HTTP 429', 'transient', 429, 'Too Many Requests', 'TooManyRequests', true],
    ['an HTTP 400', 'permanent', 400, 'Bad Request', 'InvalidArgument', false],
    ['an HTTP 409', 'permanent', 409, 'Conflict', 'Conflict', false],
  ])('%s is %s', async (_, kind, status, reason, code, throttled) => {
    listener.answer = backend.errorAnswer(status, reason, code);
    const err = await failure(backend.open(listener.url).get(CONFIG));
    expect(err.kind).toBe(kind);
    expect(err.message).toContain(`HTTP ${status}`);
    if (kind === 'transient') expect(err.retryHint).toEqual({ throttled, afterMs: undefined });
    else expect(err.retryHint).toBeUndefined();
  });

  it.each([
    ['a reset connection', 'reset' as const],
    ['an answer that is not HTTP', 'not-http' as const],
  ])('%s (no answer) is transient', async (_, answer) => {
    listener.answer = answer;
    expect((await failure(backend.open(listener.url).get(CONFIG))).kind).toBe('transient');
  });

  it('a 503 with Retry-After in seconds or as an HTTP date carries it to the retry wrapper', async () => {
    listener.answer = backend.errorAnswer(503, 'Service Unavailable', 'ServiceUnavailable', { 'Retry-After': '7' });
    expect((await failure(backend.open(listener.url).get(CONFIG))).retryHint).toEqual({ throttled: false, afterMs: 7000 });
    listener.answer = backend.errorAnswer(503, 'Service Unavailable', 'ServiceUnavailable', { 'Retry-After': new Date(Date.now() + 60_000).toUTCString() });
    const afterMs = (await failure(backend.open(listener.url).get(CONFIG))).retryHint?.afterMs;
    expect(afterMs).toBeGreaterThan(55_000);
    expect(afterMs).toBeLessThanOrEqual(60_000);
  });

  it('the retry wrapper waits the Retry-After (never sooner), bounded by maxRetryAfterMs', async () => {
    listener.answer = backend.errorAnswer(503, 'Service Unavailable', 'ServiceUnavailable', { 'Retry-After': '1' });
    await failure(withRetry(backend.open(listener.url), { attempts: 2 }).get(CONFIG));
    expect(listener.arrivals).toHaveLength(2);
    expect(listener.arrivals[1]! - listener.arrivals[0]!).toBeGreaterThanOrEqual(1000);

    listener.arrivals = [];
    listener.answer = backend.errorAnswer(503, 'Service Unavailable', 'ServiceUnavailable', { 'Retry-After': '3600' });
    await failure(withRetry(backend.open(listener.url), { attempts: 2, maxRetryAfterMs: 400 }).get(CONFIG));
    const waited = listener.arrivals[1]! - listener.arrivals[0]!;
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(3000);
  });
});

describe('S3 SlowDown', () => {
  it('is transient and throttled, so the retry wrapper backs off from a longer base', async () => {
    listener.answer = BACKENDS[0]!.errorAnswer(503, 'Slow Down', 'SlowDown');
    const err = await failure(BACKENDS[0]!.open(listener.url).get(CONFIG));
    expect(err).toMatchObject({ kind: 'transient', retryHint: { throttled: true } });
    expect(err.message).toContain('HTTP 503 SlowDown');

    const delays: number[] = [];
    const retrying = withRetry(BACKENDS[0]!.open(listener.url), { attempts: 3, random: () => 0.5, sleep: async () => undefined, onRetry: ({ delayMs }) => void delays.push(delayMs) });
    await failure(retrying.get(CONFIG));
    // Half of 1 s and 2 s (a throttled base of 10 × 100 ms), where an unthrottled 503 waits half of 100 and 200 ms.
    expect(delays).toEqual([500, 1000]);
  });
});

describe('the shared rule (storage/cloudCalls.ts)', () => {
  it('is transient for unknown network-level errors and permanent for errors that are neither an answer nor a network failure', () => {
    const systemError = (code: string) => Object.assign(new Error(`read ${code}`), { code, syscall: 'read' });
    expect(classifyCloudFailure(systemError('EPROTO')).kind).toBe('transient');
    expect(classifyCloudFailure(systemError('ENETRESET')).kind).toBe('transient');
    expect(classifyCloudFailure(systemError('UND_ERR_CONNECT_TIMEOUT')).kind).toBe('transient');
    expect(classifyCloudFailure(new Error('wrapped', { cause: systemError('ECONNRESET') })).kind).toBe('transient');
    expect(classifyCloudFailure(new TypeError('Only HTTP(S) protocols are supported'))).toEqual({ kind: 'permanent', reason: 'Only HTTP(S) protocols are supported', answered: false });
    expect(classifyCloudFailure(Object.assign(new Error('no such file'), { code: 'ENOENT', syscall: 'open' })).kind).toBe('permanent');
  });

  it('reads Retry-After as seconds or an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
