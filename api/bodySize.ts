// The API's request body limit: requests are small JSON objects, so a body over MAX_BODY_BYTES is
// refused with 413 payload_too_large, from its Content-Length before any of it is read, or, when
// chunked, as soon as the bytes read pass the limit; nothing larger is ever held in memory.

import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpError } from './errors.js';

export const MAX_BODY_BYTES = 64 * 1024;

export const MAX_BODY_TEXT = `${MAX_BODY_BYTES / 1024} KiB`;

export function limitBodySize(): MiddlewareHandler {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      // The unread rest of the body is discarded and the connection closed: no client may reuse it.
      throw new HttpError(413, 'payload_too_large', `the request body is larger than ${MAX_BODY_TEXT}`, { headers: { Connection: 'close' } });
    },
  });
}
