// activities/failures.ts against real errors: raw filesystem errors that a retry cannot fix fail
// at once with a one-line message, a full disk is "no space left", unknown errors are retried,
// and no failure message exceeds the policy's bound, however long the path in it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toFailure } from '../../activities/failures';
import { ConcurrentChangeError, RepositoryError } from '../../core/errors';
import { StorageError } from '../../storage/storage';
import { MAX_FAILURE_MESSAGE } from '../../workflows/failurePolicy';

/** The error `run` throws. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

function asFailure(err: unknown): ApplicationFailure {
  const failure = toFailure(err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-failures-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a path over 4,096 bytes fails for good with a message within the bound', () => {
  const deep = path.join(dir, ...Array.from({ length: 25 }, () => 'd'.repeat(200)));
  const failure = asFailure(thrownBy(() => fs.mkdirSync(deep, { recursive: true })));
  expect(failure).toMatchObject({ type: 'filesystem', nonRetryable: true });
  expect(failure.message.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
  expect(failure.message).toMatch(/^\[filesystem\] mkdir \/.* … .*: name too long \(ENAMETOOLONG\)$/);
});

test.each([
  ['EISDIR', () => fs.readFileSync(dir), /^\[filesystem\] read: is a directory \(EISDIR\)$/],
  ['ENOTDIR', () => fs.readdirSync(path.join(__filename, 'x')), /^\[filesystem\] scandir .*activityFailures\.test\.ts\/x: not a directory \(ENOTDIR\)$/],
])('%s from the filesystem is a permanent filesystem failure', (_code, run, message) => {
  const failure = asFailure(thrownBy(run));
  expect(failure).toMatchObject({ type: 'filesystem', nonRetryable: true });
  expect(failure.message).toMatch(message);
});

test.each(['EACCES', 'EPERM', 'EROFS'])('%s is a permanent filesystem failure', (code) => {
  const err = Object.assign(new Error(`${code}: denied, open '/t/a'`), { code, syscall: 'open', path: '/t/a' });
  expect(asFailure(err)).toMatchObject({ type: 'filesystem', nonRetryable: true, message: expect.stringMatching(new RegExp(`^\\[filesystem\\] open /t/a: .+ \\(${code}\\)$`)) });
});

test('ENOSPC, raw or inside a storage error, is "no space left", not "storage unreachable"', () => {
  const raw = Object.assign(new Error("ENOSPC: no space left on device, write"), { code: 'ENOSPC', syscall: 'write' });
  expect(asFailure(raw)).toMatchObject({ type: 'no-space', nonRetryable: true, message: '[filesystem] write: no space left on device (ENOSPC)' });
  const storage = new StorageError('transient', '[storage:local] put data/ab/ab in /repo: ENOSPC', { cause: raw });
  expect(asFailure(storage)).toMatchObject({ type: 'no-space', nonRetryable: true });
});

test('an unknown error is retried, its message bounded; transient storage errors are retried', () => {
  const unknown = asFailure(new Error(`odd ${'x'.repeat(5000)}`));
  expect(unknown).toMatchObject({ type: 'unexpected', nonRetryable: false });
  expect(unknown.message).toHaveLength(MAX_FAILURE_MESSAGE);
  expect(asFailure(new StorageError('transient', 'connection reset'))).toMatchObject({ type: 'storage-unavailable', nonRetryable: false, message: 'storage unreachable: connection reset' });
  expect(asFailure(Object.assign(new Error('busy'), { code: 'EBUSY' }))).toMatchObject({ type: 'unexpected', nonRetryable: false });
});

test('a backup undone because a prune began sweeping is retried, under its own type', () => {
  expect(asFailure(new ConcurrentChangeError('prune began deleting packs'))).toMatchObject({ type: 'concurrent-change', nonRetryable: false, message: 'prune began deleting packs' });
});

test('engine errors keep their code; cancellation passes through', () => {
  expect(asFailure(new RepositoryError('wrong-passphrase', 'no key opens'))).toMatchObject({ type: 'wrong-passphrase', nonRetryable: true });
  const canceled = new CancelledFailure('canceled');
  expect(toFailure(canceled)).toBe(canceled);
});
