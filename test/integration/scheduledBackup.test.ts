// A backup schedule firing every second, made by `meridian apply` (the real CLI) from a
// meridian.yaml, against the real dev server and a real worker that resolves the file's names and
// passphrase file: its runs back up a directory that changes between runs, count themselves from the last completed run's
// result (which the Schedule passes on), keep exactly the policy's snapshots of their own source
// while another source's snapshots in the same repository stay, prune every 2nd run, and never
// overlap (each backup outlasts the interval: the worker's storage holds every snapshot upload for
// 1.5 s, so the Schedule skips fire times); a run whose source is gone fails, reads failed, and
// raises backup-failed to the schedule's channel, a real local webhook, which Temporal retries
// after the webhook's first 500 (its child backup workflow leaves the telling to it). Only the first
// failure in a row is told: the next failed run is silent, and a failure after a completed run is
// told again.

import fs from 'node:fs';
import path from 'node:path';
import { ScheduleHandle, ScheduleOverlapPolicy, WorkflowExecutionDescription, WorkflowFailedError } from '@temporalio/client';
import { configuredAuthority } from '../../worker/authority';
import { loadWorkerConfig } from '../../worker/workerConfig';
import { startOperation } from '../../api/operations';
import { Repository } from '../../core/repository';
import { listSnapshots } from '../../core/snapshots';
import { scheduleId } from '../../schedules/names';
import { FaultyStorage } from '../../storage/faulty';
import { LocalStorage } from '../../storage/local';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/catalog';
import type { MeridianEvent } from '../../workflows/eventDefs';
import { progressQuery, ScheduledBackupOutput } from '../../workflows/shared';
import { meridianEnv, parseJson, runMeridian } from '../helpers/meridianCli';
import { RunningWorker, startWorker } from '../helpers/meridianWorker';
import { testConnection, TestConnection, uniqueTaskQueue } from '../helpers/temporal';
import { eventually } from '../helpers/polling';
import { tempDir } from '../helpers/trees';
import { startWebhookServer, WebhookServer } from '../helpers/webhookServer';

const PASSPHRASE = 'scheduled backup test';
const SNAPSHOT_UPLOAD_HOLD_MS = 1500;
const RUNS = 4;

const name = `tiles-${uniqueTaskQueue('every-second')}`;
let work: string;
let env: NodeJS.ProcessEnv;
let t: TestConnection;
let worker: RunningWorker;
let webhook: WebhookServer;
let writer: NodeJS.Timeout | undefined;

beforeAll(async () => {
  work = tempDir('scheduled');
  // The environment's passphrase is wrong on purpose: the worker takes the file's passwordFile.
  env = meridianEnv(work, 'scheduled-backup', 'not the passphrase');
  t = await testConnection();
  webhook = await startWebhookServer();
});

afterAll(async () => {
  clearInterval(writer);
  await t?.client.schedule
    .getHandle(scheduleId(name))
    .delete()
    .catch(() => undefined);
  await worker?.stop();
  await webhook?.close();
  await t?.close();
});

/** A worker reading the file as `meridian worker` does, whose storage holds each snapshot upload so that every backup outlasts the 1 s interval. */
async function startScheduleWorker(configFile: string): Promise<RunningWorker> {
  const workerConfig = loadWorkerConfig({ ...env, MERIDIAN_CONFIG: configFile });
  return startWorker(t, 'unused', env.MERIDIAN_TASK_QUEUE, {
    authority: configuredAuthority(workerConfig),
    workerConfig,
    openRepository: async (admitted) => {
      const hold = async (op: string, h: { type: string }) => {
        if (op === 'put' && h.type === 'snapshots') await new Promise((resolve) => setTimeout(resolve, SNAPSHOT_UPLOAD_HOLD_MS));
      };
      return Repository.open(new FaultyStorage(new LocalStorage(admitted.url), { beforeChange: hold }), admitted.passphrase());
    },
  });
}

/** The schedule's runs so far (started by it, oldest first), each described, with its result when it completed. */
async function runsOf(handle: ScheduleHandle): Promise<{ description: WorkflowExecutionDescription; result?: ScheduledBackupOutput }[]> {
  const { info } = await handle.describe();
  return Promise.all(
    info.recentActions.map(async ({ action }) => {
      const run = t.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
      const description = await run.describe();
      return { description, result: description.status.name === 'COMPLETED' ? ((await run.result()) as ScheduledBackupOutput) : undefined };
    }),
  );
}

/** Triggers one run now and waits for it to close: its description. */
async function triggeredRun(handle: ScheduleHandle): Promise<WorkflowExecutionDescription> {
  // The Schedule learns that its last run closed a little after the run does: a SKIP trigger in
  // between is dropped as an overlap, and a run started then is not handed the last failure.
  await eventually('the Schedule to see its last run closed', async () => ((await handle.describe()).info.runningActions.length === 0 ? true : undefined));
  // Runs are told apart by run id: a Schedule names a run by its schedule and the second it
  // started, so two triggered within one second share a workflow id.
  const before = new Set((await handle.describe()).info.recentActions.map(({ action }) => action.workflow.firstExecutionRunId));
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  return eventually('the triggered run to close', async () => {
    const fresh = (await handle.describe()).info.recentActions.find(({ action }) => !before.has(action.workflow.firstExecutionRunId));
    if (!fresh) return undefined;
    const description = await t.client.workflow.getHandle(fresh.action.workflow.workflowId, fresh.action.workflow.firstExecutionRunId).describe();
    return description.status.name === 'RUNNING' ? undefined : description;
  });
}

test('runs back up, keep exactly the policy for their own source, prune every 2nd run, never overlap, and the first failed run in a row notifies', async () => {
  const repo = path.join(work, 'repo');
  const source = path.join(work, 'tiles');
  const otherSource = path.join(work, 'dems');
  fs.mkdirSync(source);
  fs.mkdirSync(otherSource);
  fs.writeFileSync(path.join(work, 'gis.pass'), `${PASSPHRASE}\n`);
  fs.writeFileSync(path.join(work, 'hook.secret'), 'scheduled-hook-secret\n');
  await Repository.init(new LocalStorage(repo), PASSPHRASE, {});
  const configFile = path.join(work, 'meridian.yaml');
  fs.writeFileSync(
    configFile,
    [
      'repositories:',
      `  gis: { url: ${repo}, passwordFile: gis.pass }`,
      'sources:',
      `  tiles: { path: ${source}, repository: gis, tags: [tiles] }`,
      `  dems: { path: ${otherSource}, repository: gis }`,
      'policies:',
      '  last-two: { keepLast: 2 }',
      'schedules:',
      `  ${name}: { source: tiles, every: 1s, policy: last-two, prune: { every: 2, maxUnusedPercent: 0 }, notify: [ops-hook] }`,
      'notifications:',
      `  ops-hook: { webhook: { url: "${webhook.origin}/hooks/meridian?token=test-token", secretFile: hook.secret } }`,
      `  unused-hook: { webhook: { url: "${webhook.origin}/not-this-one", secretFile: hook.secret } }`,
      '',
    ].join('\n'),
  );
  worker = await startScheduleWorker(configFile);

  // Another source in the same repository: three snapshots that the schedule's policy (keepLast 2) must not touch.
  fs.writeFileSync(path.join(otherSource, 'dem.tif'), 'elevation');
  const otherSnapshots: string[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await startOperation(t.client, 'backup', { repo: 'gis', path: otherSource }, worker.taskQueue);
    otherSnapshots.push(((await run.result()) as { snapshotId: string }).snapshotId);
  }

  // The scheduled source changes all the time: a new tile every 300 ms.
  let tiles = 0;
  const addTile = () => fs.writeFileSync(path.join(source, `tile-${tiles++}.geojson`), `{"type":"FeatureCollection","n":${tiles}}`);
  addTile();
  writer = setInterval(addTile, 300);

  const applied = parseJson<{ plan: { name: string; action: string }[] }>(await runMeridian(['apply', '--config', configFile, '--json'], { cwd: work, env, timeoutMs: 60_000 }));
  expect(applied.plan.filter((e) => e.name === name)).toEqual([expect.objectContaining({ action: 'create' })]);
  const handle = t.client.schedule.getHandle(scheduleId(name));

  await eventually(`${RUNS} completed runs`, async () => ((await runsOf(handle)).filter((r) => r.result).length >= RUNS ? true : undefined));
  await handle.pause('test: the runs so far are checked');
  clearInterval(writer);
  const runs = await eventually('the running run to finish', async () => {
    const { info } = await handle.describe();
    return info.runningActions.length === 0 ? runsOf(handle) : undefined;
  });

  // Every run completed, counted from the one before (the Schedule passed each run the last result).
  expect(runs.every((r) => r.description.status.name === 'COMPLETED')).toBe(true);
  const results = runs.map((r) => r.result!);
  expect(results.map((r) => r.run)).toEqual(results.map((_, i) => i + 1));
  for (const result of results) {
    // Retention over this source's snapshots only: the other source's three would be counted (and one removed) otherwise.
    expect(result.forget).toMatchObject({ kept: Math.min(result.run, 2), removed: result.run > 2 ? 1 : 0 });
    expect(result.prune !== undefined).toBe(result.run % 2 === 0);
    if (result.run > 1) expect(result.backup.filesNew).toBeGreaterThan(0); // the directory changed between runs
  }
  const snapshots = await listSnapshots(await Repository.open(new LocalStorage(repo), PASSPHRASE));
  const bySource = (dir: string) => snapshots.filter((s) => s.source === dir).map((s) => s.id).sort();
  expect(bySource(source)).toEqual(results.slice(-2).map((r) => r.backup.snapshotId).sort());
  expect(bySource(otherSource)).toEqual([...otherSnapshots].sort());

  // Never two runs at once: each started after the one before closed; fire times were skipped meanwhile.
  const spans = runs.map((r) => ({ start: r.description.startTime.getTime(), close: r.description.closeTime!.getTime() })).sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.close);
  expect((await handle.describe()).info.numActionsSkippedOverlap).toBeGreaterThan(0);

  // A run describes itself for Temporal UI; its backup is a backup workflow of its own.
  const last = runs.at(-1)!.description;
  expect(last.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.operation)).toBe('scheduled-backup');
  expect(last.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.source)).toBe(source);
  const progress = await t.client.workflow.getHandle(last.workflowId, last.runId).query(progressQuery);
  expect(progress).toMatchObject({ operation: 'scheduled-backup', phase: 'completed', result: { run: results.length } });
  const children = [];
  for await (const child of t.client.workflow.list({ query: `ParentWorkflowId = "${last.workflowId}"` })) children.push(child);
  expect(children).toEqual([expect.objectContaining({ type: 'backupWorkflow', status: expect.objectContaining({ name: 'COMPLETED' }) })]);

  // The source goes away: the next run fails, reads failed, and the webhook hears of it (after its own 500, retried).
  fs.rmSync(source, { recursive: true, force: true });
  let answered = 0;
  webhook.answerWith(() => (answered++ === 0 ? 500 : 200));
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  const failed = await eventually('the failed run', async () => {
    const all = await runsOf(handle);
    return all.length > runs.length && all.at(-1)!.description.status.name !== 'RUNNING' ? all.at(-1)! : undefined;
  });
  expect(failed.description.status.name).toBe('FAILED');
  await expect(t.client.workflow.getHandle(failed.description.workflowId, failed.description.runId).result()).rejects.toBeInstanceOf(WorkflowFailedError);
  await eventually('the retried notification', async () => (webhook.received.length >= 2 ? true : undefined));
  expect(webhook.received).toHaveLength(2);
  for (const request of webhook.received) {
    expect(request).toMatchObject({ method: 'POST', url: '/hooks/meridian?token=test-token' });
    const event = request.body as MeridianEvent;
    expect(event).toMatchObject({ id: `${failed.description.workflowId}:${failed.description.runId}:failed`, kind: 'backup-failed', severity: 'critical', subject: source, workflowId: failed.description.workflowId, details: { schedule: name, repository: 'gis', step: 'backup' } });
    expect(request.headers['idempotency-key']).toBe(event.id);
    expect(event.summary).toMatch(new RegExp(`^scheduled backup "${name}" of ${source} into gis: backup failed: .*${source}`));
    expect(event.summary).not.toContain('\n');
  }

  // Still failing: the next run fails too, but the first failure in a row was told already.
  const again = await triggeredRun(handle);
  expect(again.status.name).toBe('FAILED');
  expect(webhook.received).toHaveLength(2);

  // Back to working, then failing again: a new first failure, told.
  fs.mkdirSync(source);
  addTile();
  expect((await triggeredRun(handle)).status.name).toBe('COMPLETED');
  fs.rmSync(source, { recursive: true, force: true });
  const relapse = await triggeredRun(handle);
  expect(relapse.status.name).toBe('FAILED');
  await eventually('the relapse notification', async () => (webhook.received.length >= 3 ? true : undefined));
  expect((webhook.received.at(-1)!.body as MeridianEvent).id).toBe(`${relapse.workflowId}:${relapse.runId}:failed`);
}, 120_000);
