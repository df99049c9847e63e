// The failover monitor's probes: a storage round trip (write a random canary under health/, read
// it back, delete it; or, read-only, one stat of the config file) and an HTTP check (expected
// status), each bounded by a timeout, with its latency. An unhealthy result is data, never a throw.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Storage } from '../storage/storage.js';

export interface ProbeOutcome {
  healthy: boolean;
  latencyMs: number;
  /** Why it is unhealthy (one line, no secrets). */
  reason?: string;
}

/** Runs `work` with a deadline; the probe's outcome either way (`describe`: a thrown error's reason). */
async function timed(timeoutMs: number, work: (signal: AbortSignal) => Promise<string | undefined>, describe: (err: unknown) => string = oneLine): Promise<ProbeOutcome> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(timeoutMs);
  const noAnswer = `no answer within ${timeoutMs} ms`;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(noAnswer), timeoutMs);
  });
  try {
    const reason = await Promise.race([work(deadline).catch((err: unknown) => (deadline.aborted ? noAnswer : describe(err))), expired]);
    const latencyMs = Math.round(performance.now() - started);
    return reason === undefined ? { healthy: true, latencyMs } : { healthy: false, latencyMs, reason };
  } finally {
    clearTimeout(timer);
  }
}

/** The error's first line, with its innermost cause's (fetch says only "fetch failed"). */
function oneLine(err: unknown): string {
  const first = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const message = cause === err ? first(err) : `${first(err)}: ${first(cause)}`;
  return message.slice(0, 300);
}

/** Writes, reads back and deletes a 32-byte canary under health/ (readOnly: stats the config file instead). */
export async function probeStorage(storage: Storage, options: { timeoutMs: number; readOnly?: boolean }): Promise<ProbeOutcome> {
  return timed(options.timeoutMs, async () => {
    if (options.readOnly) {
      await storage.stat({ type: 'config', name: 'config' });
      return undefined;
    }
    const canary = { type: 'health' as const, name: randomBytes(16).toString('hex') };
    const bytes = randomBytes(32);
    await storage.put(canary, bytes);
    try {
      const read = await storage.get(canary);
      if (!Buffer.from(read).equals(bytes)) return `the canary read back from ${storage.location} differs from what was written`;
    } finally {
      await storage.delete(canary).catch(() => undefined); // a canary left behind is harmless: nothing lists health/
    }
    return undefined;
  });
}

/**
 * A failed request's reason without fetch's message, which may quote the URL and its secrets:
 * the error's class and the first code along its causes (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT).
 */
function requestFailure(err: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (not instanceof this one's Error).
  type Failure = { name?: unknown; code?: unknown; cause?: unknown } | null | undefined;
  const name = (err as Failure)?.name;
  let code: unknown;
  for (let cause = err as Failure; typeof cause === 'object' && cause !== null && code === undefined; cause = cause.cause as Failure) code = cause.code;
  return `request failed: ${typeof name === 'string' ? name : 'error'}${typeof code === 'string' ? ` ${code}` : ''}`;
}

/** GETs `url` and expects `expectStatus`; a failure's reason never quotes the URL. */
export async function probeHttp(url: string, options: { expectStatus: number; timeoutMs: number }): Promise<ProbeOutcome> {
  return timed(options.timeoutMs, async (signal) => {
    const response = await fetch(url, { signal, redirect: 'manual' });
    await response.body?.cancel().catch(() => undefined);
    return response.status === options.expectStatus ? undefined : `HTTP ${response.status}, expected ${options.expectStatus}`;
  }, requestFailure);
}

/** A URL for messages: no credentials, no query. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(malformed URL)';
  }
}
