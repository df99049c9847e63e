// What the cloud backends share around each SDK call: a deadline that moves with progress, so a
// black-holed server cannot hang a call, and recognising the failures a retry may fix (HTTP
// statuses, network errors). Backends build their messages from codes and statuses, not from SDK
// messages, which can carry URLs with signatures; safeDetail is for errors nothing else explains.
// classifyCloudFailure is the one rule of all three backends for transient versus permanent.

import { Readable } from 'node:stream';
import type { ByteRange, RetryHint, StorageError } from './storage.js';

/** How long a call may go without progress (no answer, no bytes moving) before it is abandoned. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export interface CloudCallOptions {
  /** Abandon a call after this many milliseconds without progress (default 60 s). */
  idleTimeoutMs?: number;
}

/** A call abandoned for lack of progress; classified like a network timeout. */
export class IdleTimeoutError extends Error {
  override name = 'IdleTimeoutError';

  constructor(ms: number) {
    super(`no answer or progress for ${ms / 1000} s`);
  }
}

/**
 * Runs `run` with a signal that aborts once `idleMs` pass without a call to `progress`; the
 * result then rejects with an IdleTimeoutError, even when the SDK ignores the signal.
 */
export async function withIdleTimeout<T>(idleMs: number, run: (signal: AbortSignal, progress: () => void) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abandoned = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
  });
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const progress = () => {
    clearTimeout(timer);
    if (!settled) timer = setTimeout(() => controller.abort(new IdleTimeoutError(idleMs)), idleMs);
  };
  progress();
  try {
    return await Promise.race([run(controller.signal, progress), abandoned]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}

/**
 * One SDK call of a backend: `run` under the idle deadline, any failure turned into the
 * backend's StorageError by its own `classify`.
 */
export async function classifiedCall<T>(
  idleMs: number,
  run: (signal: AbortSignal, progress: () => void) => Promise<T>,
  classify: (err: unknown) => StorageError | Promise<StorageError>,
): Promise<T> {
  try {
    return await withIdleTimeout(idleMs, run);
  } catch (err) {
    throw await classify(err);
  }
}

/**
 * A zero-length range: nothing to download, but the object must exist (`size` stats it and
 * fails if it does not) and reach the offset; past it, the backend's `pastTheEnd` error.
 */
export async function emptyRange(range: ByteRange, size: () => Promise<number>, pastTheEnd: () => StorageError): Promise<Uint8Array> {
  if (range.offset > (await size())) throw pastTheEnd();
  return new Uint8Array(0);
}

/** Reads a response stream into one buffer, reporting progress; the signal destroys the stream. */
export async function readAll(stream: Readable, signal: AbortSignal, progress: () => void): Promise<Buffer> {
  const destroy = () => stream.destroy(signal.reason as Error);
  signal.addEventListener('abort', destroy, { once: true });
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      progress();
    }
    return Buffer.concat(chunks);
  } finally {
    signal.removeEventListener('abort', destroy);
  }
}

/**
 * For ranged reads: a 416 (the range starts at or past the end) reads as no bytes, which the
 * caller's length check then rejects like the short answer to a range that ends past the end.
 */
export function emptyIfRangeNotSatisfiable(err: unknown): Buffer {
  if (httpStatus(err) === 416) return Buffer.alloc(0);
  throw err;
}

/** The HTTP status of an SDK error, if it has one (S3 keeps it in $metadata). */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; status?: unknown; code?: unknown; response?: { status?: unknown }; $metadata?: { httpStatusCode?: unknown } } | undefined;
  return [e?.statusCode, e?.status, e?.response?.status, e?.$metadata?.httpStatusCode, e?.code].find((v): v is number => typeof v === 'number');
}

/** Service error codes (S3 error names, Azure error codes, GCS reasons) that mean "slow down". */
const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'RequestLimitExceeded', 'ServerBusy', 'rateLimitExceeded', 'userRateLimitExceeded']);
/** Service error codes a retry may fix whatever their status (S3 answers RequestTimeout with a 400). */
const TRANSIENT_CODES = new Set(['RequestTimeout', 'InternalError', 'ServiceUnavailable', 'OperationTimedOut', 'TimeoutError']);

/** How long a Retry-After may make the retry wrapper wait, whatever the service asks. */
export const MAX_RETRY_AFTER_MS = 30_000;

export interface CloudFailure {
  kind: 'transient' | 'permanent';
  /** How it failed, in a few words: "HTTP 503 SlowDown", "ECONNRESET", or the error's own first line. */
  reason: string;
  /** The service answered (with an HTTP status), as opposed to a failure before any answer. */
  answered: boolean;
  retryHint?: RetryHint;
}

/**
 * The one rule of the S3, GCS and Azure backends for every error that their own named cases
 * (missing bucket or object, rejected credentials) do not settle:
 * - an answer is transient when a retry may fix it (408, 429, any 5xx, or a throttling or
 *   transient service code, whatever the status), permanent otherwise (another 4xx);
 * - no answer: transient when the failure is at the network level (networkFailure: socket
 *   errors, resets, timeouts, DNS, TLS, a connection closed early), permanent otherwise, since
 *   an error that is neither an answer nor a network failure comes from the configuration or the
 *   code (no project id, a bad endpoint URL), which no retry fixes.
 * `code` is the service's error code when the backend found one.
 */
export function classifyCloudFailure(err: unknown, code?: string): CloudFailure {
  const status = httpStatus(err);
  const throttled = status === 429 || (code !== undefined && THROTTLING_CODES.has(code));
  const transientCode = throttled || (code !== undefined && TRANSIENT_CODES.has(code));
  if (status !== undefined) {
    const reason = `HTTP ${status}${code ? ` ${code}` : ''}`;
    if (!transientCode && !isRetryableStatus(status)) return { kind: 'permanent', reason, answered: true };
    return { kind: 'transient', reason, answered: true, retryHint: { throttled, afterMs: retryAfterMs(err) } };
  }
  if (transientCode) return { kind: 'transient', reason: code!, answered: false, retryHint: { throttled } };
  const network = networkFailure(err);
  if (network) return { kind: 'transient', reason: network, answered: false };
  return { kind: 'permanent', reason: safeDetail(err), answered: false };
}

/** HTTP statuses a retry may fix: request timeout, throttling, server errors. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The Retry-After of the answer behind an SDK error (S3 $response, GCS and Azure response), in ms. */
function retryAfterMs(err: unknown): number | undefined {
  const e = err as { $response?: { headers?: unknown }; response?: { headers?: unknown } };
  const headers = e.$response?.headers ?? e.response?.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  const get = (headers as { get?: unknown }).get;
  const value = typeof get === 'function' ? (get as (name: string) => unknown).call(headers, 'retry-after') : headerValue(headers as Record<string, unknown>, 'retry-after');
  return typeof value === 'string' ? parseRetryAfter(value) : undefined;
}

function headerValue(headers: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** A Retry-After value (delay-seconds or an HTTP date) in milliseconds from `now`; undefined if neither. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3}/.test(text)) return undefined; // every HTTP-date starts with the day's name
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Node and SDK error codes of a failure at the network level (and families of them, by prefix). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'REQUEST_SEND_ERROR',
]);
const NETWORK_CODE_FAMILIES = /^(ECONN|ENET|EHOST|EAI_|EPROTO|UND_ERR_|ERR_SSL_|ERR_TLS_|ERR_HTTP2_|HPE_)/;

/**
 * A short name for the network failure behind an error (its code), or undefined if it is none.
 * Errors are looked at by their fields, not instanceof: SDKs and jest's sandbox hand over errors
 * of another realm, and some keep only the message of a Node network error.
 */
export function networkFailure(err: unknown): string | undefined {
  let e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e !== null && typeof e === 'object' && depth < 8; depth++, e = e.cause as typeof e) {
    if (e instanceof IdleTimeoutError) return e.message;
    const code = e.code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || NETWORK_CODE_FAMILIES.test(code))) return code;
    if (e.name === 'AbortError') return 'aborted';
    if (e.name === 'TimeoutError') return 'timeout';
    const message = typeof e.message === 'string' ? e.message : '';
    const named = [...NETWORK_CODES].find((c) => message.includes(c));
    if (named) return named;
    if (/socket hang up|premature close|\baborted\b/i.test(message)) return 'connection closed';
    if (/\bParse Error: /.test(message)) return 'not an HTTP answer'; // Node's HTTP parser (HPE_…)
  }
  return undefined;
}

/** The first line of an unexplained error's message, with URL queries and account keys cut out. */
export function safeDetail(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return text
    .replace(/(https?:\/\/[^\s?]*)\?\S*/g, '$1?…')
    .replace(/(AccountKey|SharedAccessSignature|sig)=[^;&\s]*/gi, '$1=…')
    .slice(0, 200);
}
