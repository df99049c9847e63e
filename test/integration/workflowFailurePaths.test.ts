// The workflows' failure paths with mocked activities on a real Temporal server: what the
// workflow code does when its activity fails for good, fails for a while, or is canceled. The
// activities are scripted here (the engine's own failures are covered by the unit tests); the
// workflow code, the retry policy and the server are the real ones. Also: the event each outcome
// raises (verify-failed, damage-found, none for a success or a cancel).

import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { startOperation } from '../../api/operations';
import type { Activities } from '../../activities/index';
import { ensureSearchAttributes } from '../../worker/devServer';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../workflows/failurePolicy';
import { progressQuery, VerifyOutput } from '../../workflows/shared';
import { workflowBundle } from '../helpers/meridianWorker';
import { recordingNotifyEvent } from '../helpers/raisedEvents';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';

type Script = (attempt: number) => Promise<VerifyOutput>;

let t: TestConnection;
let worker: Worker;
let running: Promise<void>;
let script: Script;
let attempts: number[];
const taskQueue = uniqueTaskQueue('failure-paths');

const unexpected = (name: string) => () => Promise.reject(new Error(`the test did not expect ${name}`));

/** Every data-plane activity refuses, except verifyRepository, which runs the current script. */
const raised = recordingNotifyEvent();
const activities: Activities = {
  notifyEvent: raised.notifyEvent,
  backupSnapshot: unexpected('backupSnapshot'),
  restoreSnapshot: unexpected('restoreSnapshot'),
  repairIndex: unexpected('repairIndex'),
  repairSnapshots: unexpected('repairSnapshots'),
  verifyRepository: async () => {
    const { attempt } = Context.current().info;
    attempts.push(attempt);
    return script(attempt);
  },
} as unknown as Activities;

const report = (ok: boolean): VerifyOutput =>
  ({ level: 'quick', ok, checked: { snapshots: 0, packs: 0, blobs: 0, bytes: 0 }, problems: [], durationMs: 1 }) as unknown as VerifyOutput;

beforeAll(async () => {
  t = await testConnection();
  await ensureSearchAttributes(t.connection, t.namespace);
  worker = await Worker.create({
    connection: t.connection,
    namespace: t.namespace,
    taskQueue,
    activities,
    workflowBundle: await workflowBundle(),
    shutdownGraceTime: '1s',
    maxHeartbeatThrottleInterval: '200 ms',
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await t?.close();
});

beforeEach(() => {
  attempts = [];
  raised.events.length = 0;
});

async function verifyFailure(): Promise<{ cause?: { type?: string; message: string }; progress: unknown }> {
  const handle = await startOperation(t.client, 'verify', { repo: '/srv/mocked-repository' }, taskQueue);
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return { cause: (err as WorkflowFailedError).cause?.cause as { type?: string; message: string }, progress: await handle.query(progressQuery) };
}

test.each(NON_RETRYABLE_FAILURE_TYPES)('a %s failure fails the workflow on its first attempt, and the progress query says why', async (type) => {
  script = () => Promise.reject(ApplicationFailure.create({ type, message: `scripted ${type}` }));
  const { cause, progress } = await verifyFailure();
  expect(cause).toMatchObject({ type, message: `scripted ${type}` });
  expect(attempts).toEqual([1]);
  expect(progress).toMatchObject({ operation: 'verify', phase: 'failed', error: `scripted ${type}` });
  expect(raised.events).toEqual([expect.objectContaining({ kind: 'verify-failed', severity: 'warning', summary: expect.stringContaining(`failed: scripted ${type}`) })]);
});

test('a transient failure is retried with backoff and the workflow completes with the later result', async () => {
  script = (attempt) =>
    attempt < 3 ? Promise.reject(ApplicationFailure.create({ type: 'storage-unavailable', message: 'storage did not answer' })) : Promise.resolve(report(true));
  const handle = await startOperation(t.client, 'verify', { repo: '/srv/mocked-repository' }, taskQueue);
  await expect(handle.result()).resolves.toMatchObject({ ok: true });
  expect(attempts).toEqual([1, 2, 3]);
  expect(await handle.query(progressQuery)).toMatchObject({ phase: 'completed', result: { ok: true } });
  expect(raised.events).toEqual([]);
});

test('an unclassified error is retried too (a bounded number of times), not failed at once', async () => {
  script = (attempt) => (attempt < 2 ? Promise.reject(new TypeError('something unforeseen')) : Promise.resolve(report(false)));
  const handle = await startOperation(t.client, 'verify', { repo: '/srv/mocked-repository' }, taskQueue);
  await expect(handle.result()).resolves.toMatchObject({ ok: false });
  expect(attempts).toEqual([1, 2]);
  // A verify that completes finding problems tells of the damage.
  expect(raised.events.map((e) => e.kind)).toEqual(['damage-found']);
});

test('canceling the workflow stops the running activity before the run reads canceled', async () => {
  let activityCanceled = false;
  script = async () => {
    const ctx = Context.current();
    for (;;) {
      ctx.heartbeat({ phase: 'reading' });
      try {
        await ctx.sleep(100);
      } catch (err) {
        activityCanceled = err instanceof CancelledFailure;
        throw err;
      }
    }
  };
  const handle = await startOperation(t.client, 'verify', { repo: '/srv/mocked-repository' }, taskQueue);
  while (attempts.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  await handle.cancel();
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  expect(activityCanceled).toBe(true);
  expect(raised.events).toEqual([]); // an operator's cancel is no failure to be told about
});
