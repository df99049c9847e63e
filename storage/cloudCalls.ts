// What the cloud backends share around each SDK call: a deadline that moves with progress, so a
// black-holed server cannot hang a call, and recognising the failures a retry may fix (HTTP
// statuses, network errors). Backends build their messages from codes and statuses, not from SDK
// messages, which can carry URLs with signatures; safeDetail is for errors nothing else explains.

import { Readable } from 'node:stream';
import type { ByteRange, StorageError } from './storage.js';

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

/** The HTTP status of an SDK error, if it has one. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; status?: unknown; code?: unknown; response?: { status?: unknown } } | undefined;
  return [e?.statusCode, e?.status, e?.response?.status, e?.code].find((v): v is number => typeof v === 'number');
}

/** HTTP statuses a retry may fix: request timeout, throttling, server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'REQUEST_SEND_ERROR',
]);

/** A short name for the network failure behind an error (its code), or undefined if it is none. */
export function networkFailure(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof IdleTimeoutError) return e.message;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (e.name === 'AbortError') return 'aborted';
    if (/socket hang up|premature close|\baborted\b/i.test(e.message)) return 'connection closed';
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
