// The CLI's one error mapping (cli/exitCodes.ts) and its progress line: engine, storage and
// workflow failures get the exit codes of the contract (literal numbers: the contract is the
// numbers, not the constants) and a one-line message.

import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import { classifyError, OperationFailure, usageError } from '../../cli/exitCodes';
import { renderProgress } from '../../cli/progress';
import { RepositoryError } from '../../core/errors';
import { StorageError } from '../../storage/storage';
import { GrpcError, GRPC_STATUS } from '../../cli/wire/grpcError';

/** A workflow failure as the client sees it when an activity failed with `failure`. */
function workflowFailure(failure: Error): WorkflowFailedError {
  const activity = new ActivityFailure('activity failed', 'backupSnapshot', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', failure);
  return new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
}

describe('classifyError', () => {
  it.each([
    [usageError('missing PATH'), 2],
    [new RepositoryError('wrong-passphrase', 'no key opens'), 3],
    [new RepositoryError('not-a-repository', 'not a repository'), 3],
    [new RepositoryError('integrity', 'pack damaged'), 3],
    [new RepositoryError('invalid-argument', 'bad chunker'), 2],
    [new RepositoryError('not-found', 'no snapshot matches'), 2],
    [new RepositoryError('unsafe-path', 'escapes the target'), 1],
    [new StorageError('transient', 'connection reset'), 4],
    [new StorageError('permanent', 'bucket missing'), 3],
    [new ServiceError('Unexpected error while making gRPC request'), 4],
    [new Error('something unexpected'), 1],
  ])('%p → %i', (err, exitCode) => {
    expect(classifyError(err).exitCode).toBe(exitCode);
  });

  it.each([
    ['wrong-passphrase', 3],
    ['not-a-repository', 3],
    ['invalid-argument', 2],
    ['storage-permanent', 3],
    ['storage-unavailable', 4],
    ['storage-not-found', 3],
    ['no-space', 1],
    ['filesystem', 1],
    ['unexpected', 1],
    ['SomethingElse', 1],
  ])('a workflow that failed with an ApplicationFailure of type %s exits %i', (type, exitCode) => {
    const failure = ApplicationFailure.nonRetryable(`[repository] ${type} happened`, type);
    expect(classifyError(workflowFailure(failure))).toMatchObject({ exitCode, message: `[repository] ${type} happened` });
  });

  it.each([
    ['wrong-passphrase', 3],
    ['storage-unavailable', 4],
    ['no-space', 1],
    [undefined, 1],
  ])('an operation the API reports failed with type %s exits %i, as through Temporal', (type, exitCode) => {
    expect(classifyError(new OperationFailure(type, 'it failed\non the worker'))).toMatchObject({ exitCode, message: 'it failed' });
  });

  it.each([
    [usageError('missing PATH'), 'usage'],
    [new RepositoryError('wrong-passphrase', 'no key opens'), 'wrong_passphrase'],
    [new RepositoryError('not-a-repository', 'not a repository'), 'not_a_repository'],
    [new StorageError('transient', 'connection reset'), 'storage_unavailable'],
    [new StorageError('permanent', 'bucket missing'), 'storage_permanent'],
    [new ServiceError('Unexpected error while making gRPC request'), 'temporal_unavailable'],
    [new GrpcError(GRPC_STATUS.INVALID_ARGUMENT, 'search attribute MeridianOperation is not defined'), 'temporal_unavailable'],
    [workflowFailure(ApplicationFailure.nonRetryable('disk full', 'no-space')), 'no_space'],
    [workflowFailure(ApplicationFailure.nonRetryable('odd', 'SomethingElse')), 'failed'],
    [new Error('something unexpected'), 'failed'],
  ])('%p has the --json error code %s', (err, code) => {
    expect(classifyError(err).code).toBe(code);
  });

  it("a call Temporal refused through the CLI's own gRPC calls reads as through the SDK", () => {
    expect(classifyError(new GrpcError(GRPC_STATUS.NOT_FOUND, 'Namespace backups is not found.'))).toEqual({
      exitCode: 4,
      code: 'temporal_unavailable',
      message: 'Temporal did not answer: 5 NOT_FOUND: Namespace backups is not found.',
    });
  });

  it('a canceled workflow is an operation that failed', () => {
    const canceled = new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('Workflow canceled'), RetryState.NON_RETRYABLE_FAILURE);
    expect(classifyError(canceled)).toEqual({ exitCode: 1, code: 'failed', message: 'Workflow canceled' });
  });

  it('keeps only the first line of a message', () => {
    expect(classifyError(new Error('first line\n    at stack frame')).message).toBe('first line');
  });
});

describe('renderProgress', () => {
  const context = { label: 'backup', workers: 'task queue "meridian"', elapsedMs: 12_345 };

  it('shows files and bytes of a backup heartbeat with a bar', () => {
    const line = renderProgress({ filesDone: 3, filesFound: 10, bytesDone: 512 * 1024, bytesFound: 1024 * 1024 }, context);
    expect(line).toBe('backup [############------------]  50% 3/10 files  512.0 KiB/1.00 MiB  12 s');
  });

  it('uses the totals of a restore heartbeat and the phase of a verify heartbeat', () => {
    expect(renderProgress({ filesDone: 1, filesTotal: 4, bytesDone: 0, bytesTotal: 0 }, context)).toContain('1/4 files');
    expect(renderProgress({ phase: 'running', activityPhase: 'packs', done: 1, total: 4 }, { ...context, label: 'verify' })).toBe(
      'verify [######------------------]  25% packs 1/4  12 s',
    );
  });

  it('says why an activity is being retried', () => {
    const line = renderProgress({ phase: 'running', activityPhase: 'trees', done: 0, total: 2, activityAttempt: 3, lastFailure: 'storage unreachable: ECONNREFUSED' }, context);
    expect(line).toMatch(/12 s, retrying after: storage unreachable: ECONNREFUSED$/);
  });

  it('shows the rate, and the time left when the total is final: a restore, a verify phase, not a backup still finding files', () => {
    const restore = { filesDone: 1, filesTotal: 4, bytesDone: 10 * 1024 * 1024, bytesTotal: 70 * 1024 * 1024 };
    expect(renderProgress(restore, { ...context, label: 'restore', rate: 2 * 1024 * 1024 })).toBe(
      'restore [###---------------------]  14% 1/4 files  10.0 MiB/70.0 MiB  2.00 MiB/s, 30.0 s left  12 s',
    );
    expect(renderProgress({ activityPhase: 'packs', done: 10, total: 970 }, { ...context, label: 'verify', rate: 8 })).toBe(
      'verify [------------------------]   1% packs 10/970  8.0/s, 2 min 0 s left  12 s',
    );
    const backup = { filesDone: 3, filesFound: 10, bytesDone: 512 * 1024, bytesFound: 1024 * 1024 };
    expect(renderProgress(backup, { ...context, rate: 1_500_000 })).toBe('backup [############------------]  50% 3/10 files  512.0 KiB/1.00 MiB  1.43 MiB/s  12 s');
    expect(renderProgress(restore, { ...context, label: 'restore', rate: 0 })).toMatch(/ 0 B\/s {2}12 s$/); // stalled: no time left to give
  });

  it('says what a sync backup waits for before its commit instead of the bar', () => {
    const waiting = 'waiting for replica gis-us (us-east1): storage unreachable (2 of 3 hold the data; sync needs 3) since 07:40:10Z, giving up at 07:50:10Z';
    const line = renderProgress({ filesDone: 10, filesFound: 10, bytesDone: 1024, bytesFound: 1024, waiting }, context);
    expect(line).toBe(`backup: ${waiting}  12 s`);
  });

  it('says when no worker has answered yet', () => {
    expect(renderProgress({}, context)).toBe('backup: waiting for a worker on task queue "meridian"… 12 s');
    expect(renderProgress({ operation: 'backup', phase: 'running' }, context)).toBe('backup: starting… 12 s');
  });
});
