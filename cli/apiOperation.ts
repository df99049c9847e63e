// Runs one operation through a Meridian HTTP API server: POSTs the operation's request (the same
// input the workflow takes; MERIDIAN_TASK_QUEUE, when set, as its dataTaskQueue), then long-polls
// GET /v1/operations/{id}?wait= so the result arrives when the workflow ends, not at a later poll.
// Ctrl-C asks the server to cancel the workflow. The worker that does the work holds its own
// passphrases: this shell's are never sent.

import type { OperationView } from '../api/operations.js';
import type { Operation, OperationInput, OperationOutput } from '../workflows/catalog.js';
import { apiRequest, type ApiTarget } from './apiClient.js';
import { OperationFailure } from './exitCodes.js';
import type { OperationRun } from './operation.js';
import { notice, progressWanted } from './output.js';
import { showProgress } from './progress.js';
import { remotePassphraseError } from './remotePassphrase.js';

/** Seconds each long poll may wait for the end (the server allows up to 60). */
const WAIT_SECONDS = 30;

export async function runOverApi<O extends Operation>(api: ApiTarget, path: string, operation: O, input: OperationInput<O>): Promise<OperationRun<O>> {
  const taskQueue = process.env.MERIDIAN_TASK_QUEUE || undefined;
  const accepted = await apiRequest<{ workflowId: string; dataTaskQueue?: string }>(api, 'POST', path, { ...input, ...(taskQueue ? { dataTaskQueue: taskQueue } : {}) });
  const operationPath = `/v1/operations/${encodeURIComponent(accepted.workflowId)}`;
  const cancel = () => {
    notice(`canceling ${accepted.workflowId} (Ctrl-C again to stop waiting)`);
    apiRequest(api, 'POST', `${operationPath}/cancel`).catch(() => undefined);
  };
  process.once('SIGINT', cancel);
  // The 202 names the task queue only when the server routed the work; else it is the server's own.
  const where = accepted.dataTaskQueue !== undefined ? `task queue "${accepted.dataTaskQueue}"` : `the task queue of the server at ${api.url}`;
  const line = progressWanted() ? showProgress(() => apiRequest<OperationView>(api, 'GET', operationPath), operation, where) : undefined;
  try {
    let view: OperationView;
    do view = await apiRequest<OperationView>(api, 'GET', `${operationPath}?wait=${WAIT_SECONDS}`);
    while (view.status === 'running');
    if (view.status === 'completed') return { workflowId: accepted.workflowId, result: view.result as OperationOutput<O> };
    const failure = { type: view.error?.type, message: view.error?.message ?? `the workflow was ${view.status}` };
    throw remotePassphraseError(failure, `the worker behind ${api.url}`) ?? new OperationFailure(failure.type, failure.message);
  } finally {
    process.removeListener('SIGINT', cancel);
    line?.stop();
  }
}
