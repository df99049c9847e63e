// The API's one error type and its one error mapper: every failure becomes
// `{ error: { code, message } }` with a status that says whose problem it is.
//
//   400 invalid_request       bad body, query or JSON; RepositoryError invalid-argument / unsafe-path
//   401 unauthorized          missing or wrong bearer token
//   403 refused               a repository the server is not configured for (RepositoryError refused),
//                             or a delete that append-only access forbids (StorageError refused)
//   404 not_found             no such route, workflow or snapshot (RepositoryError / StorageError not-found)
//   405 method_not_allowed    a known route with a method it does not serve (with an Allow header)
//   404 not_found             also: no failover monitor or runbook (execution) of that name
//   409 conflict              the workflow id is taken (a prune of the repository runs); RepositoryError already-initialized
//   409 rejected              an Update's validator refused it (a manual failover, an approval): its one-line message
//   500 failed                an Update ran and failed (a switch that could not finish): its message
//   413 payload_too_large     a request body over MAX_BODY_BYTES (api/bodySize.ts)
//   422 wrong_passphrase      the server's passphrase opens no key of the repository
//   422 not_a_repository      the URL holds no Meridian repository
//   422 integrity             the repository's data failed an integrity check
//   502 storage_error         StorageError permanent (auth, missing bucket, unsupported backend)
//   503 storage_unavailable   StorageError transient
//   503 temporal_unavailable  Temporal cannot be reached
//   503 unanswered            no worker answered a status query
//   500 internal_error        anything else: a generic message; the details go to the server log only
//
// Repository problems are 422 rather than 409: retrying the same request cannot succeed, and the
// request itself was well formed.

import { isGrpcServiceError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { RepositoryError, RepositoryErrorCode } from '../core/errors.js';
import { StorageError } from '../storage/storage.js';
import { ControlError, type ControlErrorCode } from '../control/errors.js';
import { OperationRunningError } from './operations.js';

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'HttpError';
    this.headers = options?.headers ?? {};
  }

  /** Response headers the answer needs (e.g. Allow on a 405). */
  readonly headers: Record<string, string>;
}

const REPOSITORY_STATUS: Record<RepositoryErrorCode, [ContentfulStatusCode, string]> = {
  'invalid-argument': [400, 'invalid_request'],
  'unsafe-path': [400, 'invalid_request'],
  'not-found': [404, 'not_found'],
  'already-initialized': [409, 'conflict'],
  'wrong-passphrase': [422, 'wrong_passphrase'],
  'not-a-repository': [422, 'not_a_repository'],
  integrity: [422, 'integrity'],
  refused: [403, 'refused'],
  locked: [409, 'locked'],
  'not-a-replica': [422, 'not_a_replica'],
  'replica-read-only': [409, 'replica_read_only'],
  'replica-unavailable': [503, 'replica_unavailable'],
};

const STORAGE_STATUS: Record<StorageError['kind'], [ContentfulStatusCode, string]> = {
  'not-found': [404, 'not_found'],
  permanent: [502, 'storage_error'],
  transient: [503, 'storage_unavailable'],
  refused: [403, 'refused'],
};

const CONTROL_STATUS: Record<ControlErrorCode, [ContentfulStatusCode, string]> = {
  'not-found': [404, 'not_found'],
  rejected: [409, 'rejected'],
  failed: [500, 'failed'],
  unanswered: [503, 'unanswered'],
};

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED: the Temporal frontend did not answer. */
const GRPC_UNREACHABLE = new Set([14, 4]);

/** The status, code and message an error is answered with (the API as JSON, the dashboard as a page). */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof HTTPException) {
    return err.status === 400
      ? new HttpError(400, 'invalid_request', `body: ${err.message}`, { cause: err })
      : new HttpError(err.status as ContentfulStatusCode, 'http_error', err.message, { cause: err });
  }
  if (err instanceof RepositoryError) return new HttpError(...REPOSITORY_STATUS[err.code], err.message, { cause: err });
  if (err instanceof StorageError) return new HttpError(...STORAGE_STATUS[err.kind], err.message, { cause: err });
  if (err instanceof ControlError) return new HttpError(...CONTROL_STATUS[err.code], err.message, { cause: err });
  if (err instanceof WorkflowNotFoundError) {
    return new HttpError(404, 'not_found', `no operation has workflow id "${err.workflowId}"`, { cause: err });
  }
  if (err instanceof OperationRunningError) return new HttpError(409, 'conflict', err.message, { cause: err });
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new HttpError(409, 'conflict', `workflow id "${err.workflowId}" is already in use; try again`, { cause: err });
  }
  if (isTemporalUnreachable(err)) return new HttpError(503, 'temporal_unavailable', 'Temporal is unreachable; try again later', { cause: err });
  return new HttpError(500, 'internal_error', 'internal error', { cause: err });
}

function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && GRPC_UNREACHABLE.has(e.code)) return true;
  }
  return false;
}

/** `app.onError`: maps the error, logs only what the client is not told, never sends a stack. */
export const handleError: ErrorHandler = (err, c) => {
  const error = toHttpError(err);
  if (error.code === 'internal_error') console.error(`[api] ${c.req.method} ${c.req.path} failed:`, err);
  if (error.status === 401) c.header('WWW-Authenticate', 'Bearer');
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json({ error: { code: error.code, message: error.message } }, error.status);
};

export const handleNotFound: NotFoundHandler = (c) =>
  c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
