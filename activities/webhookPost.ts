// One POST of a JSON body to a webhook, shared by the legacy `notify` activity and the signed
// channels of `notifyEvent`: user info in the URL travels as Basic authorization (fetch refuses it
// in the URL), redirects are not followed, 10 s to answer. The outcome is undefined for a 2xx or
// a one-line problem that names no part of the URL; logs name a webhook by redactedUrl only.

/** How long one webhook may take to answer. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** What a log line may show of a webhook: scheme, host and path, never user info or query. */
export function redactedUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** POSTs `body`; undefined when the webhook answered 2xx, else what went wrong (no secrets). A cancellation is rethrown. */
export async function postJson(url: URL, body: string, extraHeaders: Record<string, string>, cancellation: AbortSignal): Promise<string | undefined> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  const target = new URL(url);
  if (target.username || target.password) {
    const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.any([cancellation, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    return response.ok ? undefined : `answered ${response.status}`;
  } catch (err) {
    if (cancellation.aborted) throw err;
    return `unreachable: ${networkProblem(err)}`;
  }
}

/** A fetch failure's reason without its URL: the timeout, or the innermost cause's code or name. */
function networkProblem(err: unknown): string {
  // Duck-typed, not `instanceof Error`: fetch's errors may come from another realm.
  type Failure = { name?: unknown; code?: unknown; cause?: unknown } | undefined;
  if ((err as Failure)?.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  let cause = err as Failure;
  while (typeof cause?.cause === 'object' && cause.cause !== null) cause = cause.cause as Failure;
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.name === 'string' ? cause.name : 'network error';
}
